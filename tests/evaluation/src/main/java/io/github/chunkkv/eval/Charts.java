package io.github.chunkkv.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.text.DecimalFormat;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** The evaluation's pictures, drawn with JFreeChart into PNG files (headless). */
public final class Charts {
    private static final int WIDTH = 900, HEIGHT = 560;
    /** One fixed colour per policy, so every chart reads the same; other series get JFreeChart's defaults. */
    /** Colours of series that are not policies (e.g. configurations of one policy), in order. */
    private static final Color[] SERIES_COLORS = {new Color(0xff7f0e), Color.BLACK, new Color(0x1f77b4), new Color(0xd62728),
            new Color(0x2ca02c), new Color(0x9467bd), new Color(0x8c564b), Color.GRAY};
    private static final Map<String, Color> POLICY_COLORS = Map.of(
            "full", Color.BLACK, "chunkkv", new Color(0xd62728), "snapkv", new Color(0x1f77b4), "pyramidkv", new Color(0x9467bd),
            "h2o", new Color(0xff7f0e), "streamingllm", new Color(0x2ca02c), "random", Color.GRAY);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** Top-1 agreement (with 95% Wilson intervals) and KL vs keep ratio, one line per policy: {@code file} and {@code file}-kl.png. */
    public static void fidelity(Path file, List<FidelityRow> rows) {
        errorBars(file, "Fidelity to FullKV (top-1 agreement, teacher-forced, 95% Wilson intervals)", "top-1 agreement", new NumberAxis("keep ratio"),
                rows, FidelityRow::policy, FidelityRow::keep, FidelityRow::top1, (x, offset) -> x + 0.004 * offset, false);
        lines(sibling(file, "-kl"), "KL(FullKV || policy), mean over steps", "keep ratio", "KL (nats)",
                byPolicy(rows, FidelityRow::policy, FidelityRow::keep, FidelityRow::kl));
    }

    /** NIAH accuracy vs KV budget (log scale), one line per policy with 95% Wilson intervals as error bars, for one task. */
    public static void niahVsBudget(Path file, List<NiahRow> rows, String task) {
        LogAxis budgets = new LogAxis("KV budget (tokens)");
        budgets.setBase(2);
        budgets.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        budgets.setNumberFormatOverride(new DecimalFormat("0")); // 32, 64, ... rather than 2^5, 2^6
        errorBars(file, "NIAH accuracy vs KV budget (" + task + ", 95% Wilson intervals)", "exact-match accuracy", budgets,
                rows.stream().filter(r -> r.task().equals(task)).toList(), NiahRow::policy, NiahRow::budget, NiahRow::proportion,
                (x, offset) -> x * Math.pow(2, 0.03 * offset), true);
    }

    /** Accuracy per turn of one multi-turn mode, one line per policy, with 95% Wilson intervals as error bars. */
    public static void multiturn(Path file, List<MultiturnTurnRow> rows, String mode) {
        List<MultiturnTurnRow> ofMode = rows.stream().filter(r -> r.mode().equals(mode)).toList();
        NumberAxis turns = new NumberAxis("turn");
        turns.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        turns.setRange(0.5, ofMode.stream().mapToInt(MultiturnTurnRow::turn).max().orElse(1) + 0.5);
        errorBars(file, "Multi-turn accuracy per turn (" + mode + ", 95% Wilson intervals)", "exact-match accuracy", turns, ofMode,
                MultiturnTurnRow::policy, MultiturnTurnRow::turn, MultiturnTurnRow::proportion, (x, offset) -> x + 0.04 * offset, true);
    }

    /**
     * One line per policy through its shares, each point with its 95% Wilson interval as an error bar. Policies are
     * drawn slightly apart along x ({@code shift} of x by the policy's offset from the middle one) so that equal shares
     * do not hide each other's bars; {@code fullRange} fixes the y axis to [0, 1].
     */
    private static <R> void errorBars(Path file, String title, String yLabel, ValueAxis xAxis, List<R> rows, Function<R, String> policy,
            ToDoubleFunction<R> x, Function<R, Proportion> share, DoubleBinaryOperator shift, boolean fullRange) {
        List<String> policies = rows.stream().map(policy).distinct().toList();
        Map<String, YIntervalSeries> series = new LinkedHashMap<>();
        for (R r : rows) {
            double offset = policies.indexOf(policy.apply(r)) - (policies.size() - 1) / 2.0;
            Proportion p = share.apply(r);
            series.computeIfAbsent(policy.apply(r), YIntervalSeries::new).add(shift.applyAsDouble(x.applyAsDouble(r), offset), p.value(), p.low(), p.high());
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis.getLabel(), yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(xAxis);
        if (fullRange) plot.getRangeAxis().setRange(-0.02, 1.02);
        else ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(true);
        renderer.setCapLength(6);
        style(chart, renderer);
        save(file, chart);
    }

    /**
     * Panels stacked over one shared x axis of context lengths (log scale, base 2), one line per series in each:
     * {@code panels} maps each panel's y label to its series (points as {x, y} pairs, in order); {@code note} is shown
     * under the title (e.g. where a series stops and why). Each y axis is logarithmic (base 2), since the values span
     * decades; a series has the same colour in every panel and one legend entry.
     */
    public static void overContextLength(Path file, String title, String note, Map<String, Map<String, List<double[]>>> panels) {
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(powersOfTwo("context length (tokens)"));
        List<String> names = panels.values().stream().flatMap(lines -> lines.keySet().stream()).distinct().toList();
        panels.forEach((yLabel, lines) -> {
            XYSeriesCollection data = new XYSeriesCollection();
            XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
            lines.forEach((name, points) -> {
                XYSeries series = new XYSeries(name);
                points.forEach(p -> series.add(p[0], p[1]));
                data.addSeries(series);
                renderer.setSeriesPaint(data.getSeriesCount() - 1, SERIES_COLORS[names.indexOf(name) % SERIES_COLORS.length]);
            });
            XYPlot plot = new XYPlot(data, null, powersOfTwo(yLabel), renderer);
            stylePlot(plot, renderer);
            combined.add(plot);
        });
        combined.setGap(12);
        combined.setFixedLegendItems(((XYPlot) combined.getSubplots().get(0)).getLegendItems());
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, combined, true);
        chart.addSubtitle(new TextTitle(note));
        chart.setBackgroundPaint(Color.WHITE);
        save(file, chart, HEIGHT * panels.size() * 2 / 3);
    }

    /** A logarithmic axis with a tick at every power of two, labelled as plain numbers (0.5, 1, 2, ... 1024). */
    private static LogAxis powersOfTwo(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setBase(2);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat("0.###"));
        return axis;
    }

    /** Depth × context-length heatmap of one policy at one budget and task; colour = accuracy. */
    public static void niahHeatmap(Path file, List<NiahCell> cells, String policy, int budget, String task) {
        List<NiahCell> mine = cells.stream().filter(c -> c.policy().equals(policy) && c.budget() == budget && c.task().equals(task)).toList();
        if (mine.isEmpty()) return;
        List<Integer> lengths = mine.stream().map(NiahCell::length).distinct().sorted().toList();
        List<Double> depths = mine.stream().map(NiahCell::depth).distinct().sorted().toList();
        double[][] xyz = new double[3][mine.size()];
        for (int i = 0; i < mine.size(); i++) {
            xyz[0][i] = lengths.indexOf(mine.get(i).length());
            xyz[1][i] = depths.indexOf(mine.get(i).depth());
            xyz[2][i] = mine.get(i).accuracy();
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("accuracy", xyz);
        SymbolAxis x = new SymbolAxis("context length (tokens)", lengths.stream().map(String::valueOf).toArray(String[]::new));
        SymbolAxis y = new SymbolAxis("needle depth", depths.stream().map(d -> String.format("%.0f%%", 100 * d)).toArray(String[]::new));
        y.setInverted(true);
        XYBlockRenderer renderer = new XYBlockRenderer();
        PaintScale scale = new AccuracyScale();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        JFreeChart chart = new JFreeChart("NIAH " + task + ": " + policy + " at KV budget " + budget, new Font("SansSerif", Font.BOLD, 16), plot, false);
        NumberAxis legendAxis = new NumberAxis("accuracy");
        legendAxis.setRange(0, 1);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(14);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        save(file, chart);
    }

    /** Red (0) through yellow to green (1). */
    private static final class AccuracyScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            double v = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
            return v < 0.5 ? blend(new Color(0xd7191c), new Color(0xffffbf), v * 2) : blend(new Color(0xffffbf), new Color(0x1a9641), (v - 0.5) * 2);
        }

        private static Color blend(Color a, Color b, double t) {
            return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t), (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                    (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
        }
    }

    private static <R> Map<String, XYSeries> byPolicy(List<R> rows, Function<R, String> policy, ToDoubleFunction<R> x, ToDoubleFunction<R> y) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (R r : rows) series.computeIfAbsent(policy.apply(r), XYSeries::new).add(x.applyAsDouble(r), y.applyAsDouble(r));
        return series;
    }

    private static void lines(Path file, String title, String xLabel, String yLabel, Map<String, XYSeries> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        style(chart, new XYLineAndShapeRenderer(true, true));
        save(file, chart);
    }

    /** White background, grey grid, thick lines, each policy in its fixed colour. */
    private static void style(JFreeChart chart, XYLineAndShapeRenderer renderer) {
        stylePlot(chart.getXYPlot(), renderer);
        chart.setBackgroundPaint(Color.WHITE);
    }

    private static void stylePlot(XYPlot plot, XYLineAndShapeRenderer renderer) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (int i = 0; i < plot.getDataset().getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            Color color = POLICY_COLORS.get(String.valueOf(plot.getDataset().getSeriesKey(i)));
            if (color != null) renderer.setSeriesPaint(i, color);
        }
        plot.setRenderer(renderer);
    }

    private static Path sibling(Path file, String suffix) {
        String name = file.getFileName().toString();
        return file.resolveSibling(name.replaceFirst("\\.png$", "") + suffix + ".png");
    }

    private static void save(Path file, JFreeChart chart) {
        save(file, chart, HEIGHT);
    }

    private static void save(Path file, JFreeChart chart, int height) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, height);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write chart " + file, e);
        }
    }
}
