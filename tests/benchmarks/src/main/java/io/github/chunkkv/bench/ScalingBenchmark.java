package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.eval.Charts;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.jlama.StockJlamaSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * {@code ./chunkkv bench --scaling}: prefill time, decode time per token and peak KV memory against context length,
 * for stock Jlama and for each ChunkKV configuration, on one model in one run; written as a CSV and a PNG chart. Stock
 * Jlama is measured up to a context limit only (its prefill grows fastest), which the chart states.
 */
final class ScalingBenchmark {
    /** Series name of stock Jlama. */
    static final String STOCK = "stock Jlama";
    private static final int WARMUP_PROMPT = 256;

    private final AbstractModel model;
    private final ChunkKvModel chunkKv;

    ScalingBenchmark(AbstractModel model) {
        this.model = model;
        this.chunkKv = ChunkKvJlama.wrap(model, ChunkKvConfig.full());
    }

    /**
     * The default model: small enough that a 32K-token context takes minutes on a few cores, with Llama's GQA shape.
     * 4 layers, dim 256, 4 query / 2 KV heads (head size 64), hidden 768, vocab 4096.
     */
    static RandomLlamaWriter.Shape smallShape(int context) {
        return new RandomLlamaWriter.Shape(4, 256, 4, 2, 768, 4096, context);
    }

    /** Longest prompt the model can take with {@code decodeTokens} timed decode steps after it. */
    int maxContext(int decodeTokens) {
        return chunkKv.maxPositions() - EndToEndBenchmark.positionsAfterPrompt(decodeTokens);
    }

    /** One measured point of one series. {@code peakKvBytes}: the most K+V bytes the cache held during the prefill. */
    record Point(String series, int context, double prefillMs, double decodeMsPerToken, long peakKvBytes) {
        static final String CSV_HEADER = "series,context,prefill_ms,decode_ms_per_token,peak_kv_bytes";

        String csv() {
            return String.format(Locale.ROOT, "%s,%d,%.1f,%.3f,%d", series, context, prefillMs, decodeMsPerToken, peakKvBytes);
        }
    }

    /** The series name of a ChunkKV configuration: its policy and the keys that set this chart's series apart. */
    static String name(ChunkKvConfig config) {
        if (config.keepsEverything()) return config.policy();
        String size = config.usesRatio() ? "keep=" + trim(config.keepRatio()) : "budget=" + config.budget();
        return config.policy() + " " + size + (config.segment() > 0 ? " segment=" + config.segment() : "");
    }

    /** Compiles every path once on a short prompt; the results are discarded. */
    void warmUp(List<ChunkKvConfig> configs, int minContext, Consumer<String> progress) {
        int length = Math.min(WARMUP_PROMPT, minContext);
        progress.accept("warming up the JIT on a " + length + "-token prompt");
        measureStock(length, 2);
        for (ChunkKvConfig config : configs) measure(config, length, 2);
    }

    /**
     * Measures stock Jlama at the contexts up to {@code stockMaxContext} and every configuration at every context,
     * shortest context first; each point goes to {@code onPoint} as soon as it is measured.
     */
    List<Point> run(List<Integer> contexts, List<ChunkKvConfig> configs, int stockMaxContext, int decodeTokens, Consumer<String> progress,
            Consumer<Point> onPoint) {
        List<Point> points = new ArrayList<>();
        for (int context : contexts.stream().sorted().toList()) {
            if (context <= stockMaxContext) {
                progress.accept("measuring context=" + context + " " + STOCK);
                add(points, measureStock(context, decodeTokens), onPoint);
            }
            for (ChunkKvConfig config : configs) {
                progress.accept("measuring context=" + context + " " + config.toSpec());
                add(points, measure(config, context, decodeTokens), onPoint);
            }
        }
        return points;
    }

    private static void add(List<Point> points, Point p, Consumer<Point> onPoint) {
        points.add(p);
        onPoint.accept(p);
    }

    private Point measure(ChunkKvConfig config, int context, int decodeTokens) {
        int[] prompt = EndToEndBenchmark.prompt(model.getConfig(), context);
        System.gc(); // collect the previous point's cache before this one is timed
        try (KvSession session = chunkKv.openSession(config)) {
            long t = System.nanoTime();
            float[] logits = session.prefill(prompt);
            double prefillMs = (System.nanoTime() - t) / 1e6;
            long[] steps = new long[decodeTokens];
            for (int i = -EndToEndBenchmark.DECODE_WARMUP; i < decodeTokens; i++) {
                int token = Sampler.argmax(logits);
                t = System.nanoTime();
                logits = session.decode(token);
                if (i >= 0) steps[i] = System.nanoTime() - t;
            }
            return new Point(name(config), context, prefillMs, EndToEndBenchmark.medianMs(steps), session.lastStats().kvBytesBefore());
        }
    }

    private Point measureStock(int context, int decodeTokens) {
        int[] prompt = EndToEndBenchmark.prompt(model.getConfig(), context);
        System.gc();
        try (StockJlamaSession stock = new StockJlamaSession(model)) {
            long t = System.nanoTime();
            int token = stock.prefill(prompt);
            double prefillMs = (System.nanoTime() - t) / 1e6;
            long[] steps = new long[decodeTokens];
            for (int i = -EndToEndBenchmark.DECODE_WARMUP; i < decodeTokens; i++) {
                t = System.nanoTime();
                token = stock.decode(token);
                if (i >= 0) steps[i] = System.nanoTime() - t;
            }
            return new Point(STOCK, context, prefillMs, EndToEndBenchmark.medianMs(steps), EndToEndBenchmark.stockKvBytes(model, context));
        }
    }

    /** Writes the points as CSV to {@code csv}. */
    static void writeCsv(Path csv, List<Point> points) throws IOException {
        Path parent = csv.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        List<String> lines = new ArrayList<>();
        lines.add(Point.CSV_HEADER);
        points.forEach(p -> lines.add(p.csv()));
        Files.write(csv, lines);
    }

    /** Draws prefill seconds, decode ms per token and peak KV MiB against context length, one line per series. */
    static void writeChart(Path png, List<Point> points, String modelDescription, int stockMaxContext) {
        int longest = points.stream().mapToInt(Point::context).max().orElse(0);
        String note = modelDescription + (stockMaxContext < longest
                ? "; stock Jlama measured up to " + stockMaxContext + " tokens (longer contexts take too long on this machine)"
                : "");
        Map<String, Map<String, List<double[]>>> panels = new LinkedHashMap<>();
        panels.put("prefill (s)", series(points, p -> p.prefillMs() / 1000));
        panels.put("decode (ms/token)", series(points, Point::decodeMsPerToken));
        panels.put("peak KV cache (MiB)", series(points, p -> p.peakKvBytes() / 1048576.0));
        Charts.overContextLength(png, "Scaling with context length: stock Jlama vs ChunkKV", note, panels);
    }

    private static Map<String, List<double[]>> series(List<Point> points, ToDoubleFunction<Point> y) {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Point p : points) series.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(new double[] {p.context(), y.applyAsDouble(p)});
        return series;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
