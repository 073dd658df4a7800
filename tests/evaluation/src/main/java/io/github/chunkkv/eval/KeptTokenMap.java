package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.KvSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * An HTML page showing, for one prompt, which tokens each policy kept after compression: green = kept by every layer,
 * paler = kept by some layers, grey = evicted everywhere. ChunkKV should show contiguous green spans.
 */
public final class KeptTokenMap {
    private KeptTokenMap() {}

    /**
     * @param highlight token range [from, to) to underline (e.g. the needle), or null
     */
    public static void write(Path file, EvalModel model, int[] prompt, Map<String, ChunkKvConfig> policies, String title, int[] highlight) {
        StringBuilder html = new StringBuilder("""
                <!DOCTYPE html>
                <html><head><meta charset="utf-8"><title>%s</title>
                <style>
                body { font-family: sans-serif; max-width: 70em; margin: 2em auto; }
                .tokens { font-family: monospace; line-height: 1.7; white-space: pre-wrap; border: 1px solid #ddd; padding: .6em; }
                .tokens span { border-radius: 2px; }
                .needle { outline: 2px solid #1f4fd1; }
                </style></head><body>
                <h1>%s</h1>
                <p>%d prompt tokens. Colour = share of layers that kept the token after compression:
                <span style="background:#1a9641;color:white">all layers</span>
                <span style="background:#a6d96a">some layers</span>
                <span style="background:#eeeeee;color:#999">evicted</span>. A blue outline marks the needle.</p>
                """.formatted(escape(title), escape(title), prompt.length));
        for (var e : policies.entrySet()) {
            double[] share = keptShare(model, prompt, e.getValue());
            long kept = Arrays.stream(share).filter(s -> s > 0).count();
            html.append("<h2>").append(escape(e.getKey())).append("</h2>\n<p>").append(escape(e.getValue().toSpec()))
                    .append(String.format(Locale.ROOT, " &mdash; %d of %d tokens kept by at least one layer</p>%n<div class=\"tokens\">", kept, prompt.length));
            for (int i = 0; i < prompt.length; i++) {
                boolean needle = highlight != null && i >= highlight[0] && i < highlight[1];
                html.append("<span style=\"").append(style(share[i])).append('"').append(needle ? " class=\"needle\"" : "")
                        .append(" title=\"").append(i).append("\">").append(escape(model.text().piece(prompt[i]))).append("</span>");
            }
            html.append("</div>\n");
        }
        html.append("</body></html>\n");
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, html, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException("could not write " + file, ex);
        }
    }

    /** For each prompt position, the fraction of layers whose cache holds it after the compressed prefill. */
    static double[] keptShare(EvalModel model, int[] prompt, ChunkKvConfig config) {
        double[] share = new double[prompt.length];
        try (KvSession s = model.openSession(config)) {
            s.prefill(prompt);
            for (int l = 0; l < s.layers(); l++) for (int p : s.cachedPositions(l)) share[p] += 1.0 / s.layers();
        }
        return share;
    }

    private static String style(double share) {
        if (share >= 0.999) return "background:#1a9641;color:white";
        if (share > 0) return "background:#a6d96a";
        return "background:#eeeeee;color:#999";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
