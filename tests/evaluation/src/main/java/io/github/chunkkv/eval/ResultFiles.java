package io.github.chunkkv.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Writes result rows as {@code name.csv} and {@code name.json} (an array of objects) into a folder. */
public final class ResultFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultFiles() {}

    public static void write(Path dir, String name, List<? extends ResultRow> rows) {
        if (rows.isEmpty()) return;
        try {
            Files.createDirectories(dir);
            StringBuilder csv = new StringBuilder(String.join(",", rows.get(0).fields().keySet())).append('\n');
            for (ResultRow r : rows) {
                csv.append(r.fields().values().stream().map(v -> csvCell(ResultRow.format(v))).collect(Collectors.joining(","))).append('\n');
            }
            Files.writeString(dir.resolve(name + ".csv"), csv, StandardCharsets.UTF_8);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(name + ".json").toFile(), rows.stream().map(ResultRow::fields).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + name + " results to " + dir, e);
        }
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
