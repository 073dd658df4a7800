package io.github.chunkkv.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for concurrent work with a bound; on timeout the test fails with every thread's stack, deadlocks first. */
public final class BoundedWait {
    private BoundedWait() {}

    /** The future's value, or a failure with a thread dump when it takes longer than {@code seconds}. */
    public static <T> T get(Future<T> future, long seconds, String what) {
        try {
            return future.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return fail(what + " did not finish within " + seconds + " s (deadlock?)\n" + threadDump());
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** Deadlocked threads (if any), then the stack of every live thread. */
    public static String threadDump() {
        var threads = ManagementFactory.getThreadMXBean();
        StringBuilder sb = new StringBuilder();
        long[] deadlocked = threads.findDeadlockedThreads();
        if (deadlocked != null) {
            sb.append("DEADLOCKED:\n");
            for (ThreadInfo t : threads.getThreadInfo(deadlocked, true, true)) sb.append(full(t));
        }
        for (ThreadInfo t : threads.dumpAllThreads(true, true)) sb.append(full(t));
        return sb.toString();
    }

    /** ThreadInfo.toString cuts stacks at 8 frames; a deadlock needs the whole stack. */
    private static String full(ThreadInfo t) {
        StringBuilder sb = new StringBuilder("\"" + t.getThreadName() + "\" " + t.getThreadState());
        if (t.getLockName() != null) sb.append(" on ").append(t.getLockName());
        if (t.getLockOwnerName() != null) sb.append(" owned by \"").append(t.getLockOwnerName()).append('"');
        sb.append('\n');
        for (StackTraceElement e : t.getStackTrace()) sb.append("\tat ").append(e).append('\n');
        return sb.append('\n').toString();
    }
}
