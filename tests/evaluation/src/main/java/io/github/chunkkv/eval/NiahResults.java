package io.github.chunkkv.eval;

import java.util.List;

/** Everything one NIAH run produced. */
public record NiahResults(List<NiahRow> rows, List<NiahCell> cells) {}
