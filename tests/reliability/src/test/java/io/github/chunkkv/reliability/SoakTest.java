package io.github.chunkkv.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.chunkkv.langchain4j.ChunkKvChatRequestParameters;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import io.github.chunkkv.testing.BoundedWait;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The concurrency soak: 16 threads for {@code chunkkv.soak.seconds} (-Psoak: 300) mix blocking and streaming chats
 * with per-request policies, two-turn conversations that reuse their cache, builds and closes of chat models (sharing
 * the loaded model or loading their own), cancelled streams and interrupted chats. A watchdog fails the run with a
 * thread dump on a deadlock or a thread that stops making progress. Every answer must equal its single-threaded run;
 * afterwards no file may be left in the temp directory and the heap must be back near its baseline.
 */
class SoakTest {
    private static final int THREADS = 16;
    private static final int TOKENS = 8;
    private static final List<String> POLICIES = List.of("full", "chunkkv:keep=0.5,window=4", "snapkv:budget=24,window=4",
            "h2o:keep=0.3,window=4", "streamingllm:budget=20,window=4", "chunkkv:keep=0.3,window=4,recall=ram",
            "snapkv:keep=0.5,window=4,recall=disk", "pyramidkv:keep=0.5,window=4,cap=16,slack=2");
    private static final long STALL_SECONDS = 120;

    private final long seconds = Long.getLong("chunkkv.soak.seconds", 0);
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLongArray progress = new AtomicLongArray(THREADS);
    private final List<AtomicBoolean> calledAfterCancel = new ArrayList<>();
    private Path folder;

    private record Ask(String question, String policy) {
        ChatRequest request(List<ChatMessage> history) {
            List<ChatMessage> messages = new ArrayList<>(history);
            messages.add(UserMessage.from(question));
            return ChatRequest.builder().messages(messages)
                    .parameters(ChunkKvChatRequestParameters.builder().kvCompression(policy).build()).build();
        }
    }

    @Test
    void sixteenThreadsMixingEverythingNeverDeadlockAndAlwaysAnswerAsAlone() throws Exception {
        assumeTrue(seconds > 0, "the soak runs with -Psoak or -Dchunkkv.soak.seconds=N");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> before = listing(tmp);
        long heapBefore = usedHeapAfterGc();
        Path root = Files.createTempDirectory("chunkkv-soak");
        folder = TinyModels.write(TinyModels.llama(), root.resolve("model"));
        try (ChunkKvJlamaChatModel blocking = blocking(256); ChunkKvJlamaStreamingChatModel streaming = ChunkKvJlamaStreamingChatModel
                .builder().modelPath(folder).maxOutputTokens(TOKENS).temperature(0.0).maxSessions(256).build()) {
            List<Ask> asks = new ArrayList<>();
            for (int i = 0; i < 12; i++) asks.add(new Ask("question " + i + " about topic " + (i * 5 % 7), POLICIES.get(i % POLICIES.size())));
            Map<Ask, String> alone = new ConcurrentHashMap<>();
            for (Ask a : asks) alone.put(a, text(blocking.chat(a.request(List.of()))));
            List<List<String>> conversations = new ArrayList<>();
            for (int w = 0; w < THREADS; w++) conversations.add(conversation(blocking, w, List.of()));

            ExecutorService workers = Executors.newFixedThreadPool(THREADS, Thread.ofPlatform().name("soak-", 0).factory());
            ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int w = 0; w < THREADS; w++) progress.set(w, System.nanoTime());
            watchdog.scheduleAtFixedRate(this::watch, 2, 2, TimeUnit.SECONDS);
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < THREADS; w++) {
                int worker = w;
                running.add(workers.submit(() -> work(worker, end, blocking, streaming, asks, alone, conversations.get(worker))));
            }
            for (Future<?> f : running) BoundedWait.get(f, seconds + STALL_SECONDS, "a soak worker");
            watchdog.shutdownNow();
            workers.shutdownNow();
        } finally {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        System.err.println("soak: " + seconds + " s, " + THREADS + " threads, operations " + new TreeMap<>(counts)
                + ", failures " + failures.size());
        assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.stream().limit(3).collect(Collectors.joining("\n")));
        assertTrue(calledAfterCancel.stream().noneMatch(AtomicBoolean::get), "a handler got a callback after cancel()");
        Set<Path> left = listing(tmp);
        left.removeAll(before);
        assertEquals(Set.of(), left, "files left in the temp directory");
        long heapAfter = usedHeapAfterGc();
        assertTrue(heapAfter < heapBefore + (64L << 20), "heap " + (heapAfter >> 20) + " MiB after close, " + (heapBefore >> 20) + " MiB before");
    }

    private ChunkKvJlamaChatModel blocking(int maxSessions) {
        return ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(TOKENS).temperature(0.0).maxSessions(maxSessions).build();
    }

    /** Worker {@code w}'s own two-turn conversation (its own, so its cache reuse does not depend on other threads). */
    private static List<String> conversation(ChunkKvJlamaChatModel model, int w, List<String> expected) {
        Ask first = new Ask("thread " + w + " opens a conversation", POLICIES.get(w % POLICIES.size()));
        Ask second = new Ask("and thread " + w + " goes on", first.policy());
        String a1 = text(model.chat(first.request(List.of())));
        String a2 = text(model.chat(second.request(List.of(UserMessage.from(first.question()), AiMessage.from(a1)))));
        if (!expected.isEmpty() && !expected.equals(List.of(a1, a2))) throw new AssertionError("conversation " + w + ": " + List.of(a1, a2) + " != " + expected);
        return List.of(a1, a2);
    }

    private void work(int w, long end, ChunkKvJlamaChatModel blocking, ChunkKvJlamaStreamingChatModel streaming, List<Ask> asks,
            Map<Ask, String> alone, List<String> conversation) {
        Random random = new Random(w);
        while (System.nanoTime() < end && failures.size() < 20) {
            Ask ask = asks.get(random.nextInt(asks.size()));
            String op = switch (random.nextInt(7)) {
                case 0, 1 -> "blocking";
                case 2 -> "streaming";
                case 3 -> "conversation";
                case 4 -> random.nextBoolean() ? "build+close shared" : "build+close own";
                case 5 -> "cancel";
                default -> "interrupt";
            };
            try {
                switch (op) {
                    case "blocking" -> check(op, alone.get(ask), text(blocking.chat(ask.request(List.of()))));
                    case "streaming" -> check(op, alone.get(ask), stream(streaming, ask));
                    case "conversation" -> conversation(blocking, w, conversation);
                    case "build+close shared", "build+close own" -> {
                        try (ChunkKvJlamaChatModel m = blocking(op.endsWith("shared") ? 256 : 3 + w % 4)) {
                            check(op, alone.get(ask), text(m.chat(ask.request(List.of()))));
                        }
                    }
                    case "cancel" -> cancel(streaming, ask);
                    default -> interrupt(blocking, ask, alone.get(ask), random);
                }
                counts.computeIfAbsent(op, k -> new AtomicLong()).incrementAndGet();
            } catch (Throwable t) {
                failures.add(op + " on thread " + w + ": " + t);
            }
            progress.set(w, System.nanoTime());
        }
    }

    private void check(String op, String expected, String actual) {
        if (!expected.equals(actual)) throw new AssertionError(op + ": '" + actual + "' instead of its single-threaded '" + expected + "'");
    }

    private static String stream(ChunkKvJlamaStreamingChatModel model, Ask ask) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder partials = new StringBuilder();
        model.chat(ask.request(List.of()), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        String text = text(BoundedWait.get(done, STALL_SECONDS, "a streaming chat"));
        if (!text.equals(partials.toString())) throw new AssertionError("partials '" + partials + "' do not add up to '" + text + "'");
        return text;
    }

    /** Cancels at the first partial response; no callback may follow (checked at the end of the soak). */
    private void cancel(ChunkKvJlamaStreamingChatModel model, Ask ask) {
        AtomicBoolean cancelled = new AtomicBoolean(), after = new AtomicBoolean();
        CompletableFuture<Void> first = new CompletableFuture<>();
        synchronized (calledAfterCancel) {
            calledAfterCancel.add(after);
        }
        model.chat(ask.request(List.of()), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                if (cancelled.getAndSet(true)) after.set(true);
                context.streamingHandle().cancel();
                first.complete(null);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                if (cancelled.get()) after.set(true);
                first.complete(null); // an empty reply has no partial response to cancel at
            }

            @Override
            public void onError(Throwable error) {
                if (cancelled.get()) after.set(true);
                first.completeExceptionally(error);
            }
        });
        BoundedWait.get(first, STALL_SECONDS, "the first partial response");
    }

    /** A chat whose thread is interrupted ends promptly: cut short between tokens, or refused before it began. */
    private static void interrupt(ChunkKvJlamaChatModel model, Ask ask, String expected, Random random) throws InterruptedException {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                outcome.complete(text(model.chat(ask.request(List.of()))));
            } catch (CancellationException refused) {
                outcome.complete("");
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        });
        Thread.sleep(random.nextInt(4));
        t.interrupt();
        String text = BoundedWait.get(outcome, STALL_SECONDS, "an interrupted chat");
        if (!expected.startsWith(text)) throw new AssertionError("interrupted reply '" + text + "' is no prefix of '" + expected + "'");
        BoundedWait.get(CompletableFuture.runAsync(() -> {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }), STALL_SECONDS, "the interrupted thread");
    }

    private void watch() {
        long[] deadlocked = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        long now = System.nanoTime();
        boolean stalled = false;
        for (int w = 0; w < THREADS; w++) stalled |= now - progress.get(w) > TimeUnit.SECONDS.toNanos(STALL_SECONDS);
        if (deadlocked != null || stalled) {
            failures.add((deadlocked != null ? "deadlock" : "a worker made no progress for " + STALL_SECONDS + " s") + "\n" + BoundedWait.threadDump());
            throw new IllegalStateException("watchdog fired"); // stops the schedule: one dump is enough
        }
    }

    private static String text(ChatResponse r) {
        return r.aiMessage().text() == null ? "" : r.aiMessage().text();
    }

    private static Set<Path> listing(Path dir) throws IOException {
        try (Stream<Path> paths = Files.list(dir)) {
            return paths.collect(Collectors.toCollection(java.util.HashSet::new));
        }
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
