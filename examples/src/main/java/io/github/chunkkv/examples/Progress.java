package io.github.chunkkv.examples;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Console progress for slow steps: nothing is printed for a step that finishes within a second, so fast runs stay
 * quiet; a slower one gets a progress line (a dot per second) or a bar, and its duration when done.
 */
public final class Progress implements AutoCloseable {
    private static final long QUIET_MILLIS = 1000;
    private static final int BAR_WIDTH = 30;

    private final PrintStream out;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "progress");
        t.setDaemon(true);
        return t;
    });

    /** Progress written to {@code out}, usually {@code System.err} so that results on stdout stay clean. */
    public Progress(PrintStream out) {
        this.out = out;
    }

    /** Runs {@code work}; if it takes over a second, shows {@code label} with a dot per second, then its duration. */
    public <T> T during(String label, Supplier<T> work) {
        long start = System.nanoTime();
        AtomicBoolean shown = new AtomicBoolean();
        ScheduledFuture<?> dots = ticker.scheduleAtFixedRate(() -> {
            synchronized (out) {
                out.print(shown.getAndSet(true) ? "." : label + " ...");
                out.flush();
            }
        }, QUIET_MILLIS, QUIET_MILLIS, TimeUnit.MILLISECONDS);
        try {
            return work.get();
        } finally {
            dots.cancel(false);
            synchronized (out) {
                if (shown.get()) out.printf(" done in %.1f s%n", seconds(start));
            }
        }
    }

    /** A bar over {@code total} units of work; call {@link Bar#advance} as units finish and close it at the end. */
    public Bar bar(String label, int total) {
        return new Bar(label, total);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** A redrawn {@code label [#####-----] done/total} line, shown once the work has run for a second. */
    public final class Bar implements AutoCloseable {
        private final String label;
        private final int total;
        private final long start = System.nanoTime();
        private int done;
        private boolean shown;

        private Bar(String label, int total) {
            this.label = label;
            this.total = Math.max(1, total);
        }

        public void advance(int units) {
            done = Math.min(total, done + units);
            if (!shown && (System.nanoTime() - start) / 1_000_000 < QUIET_MILLIS) return;
            shown = true;
            int filled = done * BAR_WIDTH / total;
            synchronized (out) {
                out.printf("\r%s [%s%s] %d/%d", label, "#".repeat(filled), "-".repeat(BAR_WIDTH - filled), done, total);
                out.flush();
            }
        }

        @Override
        public void close() {
            if (shown) {
                synchronized (out) {
                    out.printf(" done in %.1f s%n", seconds(start));
                }
            }
        }
    }
}
