package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** One result of an experiment: printed as one {@code kind key=value ...} line and stored in CSV and JSON. */
public interface ResultRow {
    /** The experiment, first word of the printed line (fidelity, niah, ...). */
    String kind();

    /** Named values in column order. */
    Map<String, Object> fields();

    /** The named values the printed line shows: all of them, unless a row stores more than it prints. */
    default Map<String, Object> lineFields() {
        return fields();
    }

    /** The values of {@code fields} named in {@code names}, in field order. */
    static Map<String, Object> only(Map<String, Object> fields, List<String> names) {
        Map<String, Object> kept = new LinkedHashMap<>(fields);
        kept.keySet().retainAll(names);
        return kept;
    }

    default String line() {
        return kind() + " " + lineFields().entrySet().stream().map(e -> e.getKey() + "=" + format(e.getValue())).collect(Collectors.joining(" "));
    }

    static String format(Object value) {
        if (value instanceof Double d) return String.format(Locale.ROOT, "%.4f", d);
        if (value instanceof Float f) return String.format(Locale.ROOT, "%.4f", f);
        return String.valueOf(value);
    }
}
