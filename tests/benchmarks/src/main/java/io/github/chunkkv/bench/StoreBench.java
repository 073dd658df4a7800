package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.SharedSessions;
import io.github.chunkkv.store.StoreLimits;
import io.github.chunkkv.store.redis.RedisKvCacheStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ./chunkkv bench-store REDIS_URI [CONTEXT] [CONVERSATIONS]}: what sharing compressed sessions through Redis
 * costs and saves, on the benchmark's random-weight model of a realistic shape (12 layers, dim 768, 4 KV heads, F32).
 * Prints, per policy, the stored bytes of a conversation of {@code CONTEXT} tokens against an F32 FullKV cache and the
 * time another instance takes to resume it from Redis against prefilling it again; then the turns per second of
 * {@code CONVERSATIONS} conversations answered by one instance against two instances that take alternate turns of
 * every conversation through Redis.
 */
@Command(name = "bench-store", description = "Sessions shared through Redis: stored bytes against FullKV, resume from Redis against"
        + " re-prefill, and turns/s of conversations on one instance against two.")
public final class StoreBench implements Callable<Integer> {
    private static final int REPLY_TOKENS = 16, TURN_TOKENS = 32, TURNS = 4, FIRST_TURN_TOKENS = 512, RESUME_RUNS = 3;
    /** The shortest conversation a resume is measured on: its reply must fit after the prompt. */
    private static final int MIN_CONTEXT = 2 * REPLY_TOKENS;
    private static final List<String> POLICIES = List.of("chunkkv:keep=0.1", "chunkkv:keep=0.1,recall=ram");

    @Parameters(index = "0", paramLabel = "REDIS_URI", description = "the Redis server, e.g. redis://127.0.0.1:6379")
    String uri;

    @Parameters(index = "1", arity = "0..1", paramLabel = "CONTEXT", defaultValue = "2048",
            description = "tokens of the resumed conversation, in [32, 8192] (default: ${DEFAULT-VALUE})")
    int context;

    @Parameters(index = "2", arity = "0..1", paramLabel = "CONVERSATIONS", defaultValue = "4",
            description = "concurrent conversations of the throughput run, in [1, 64] (default: ${DEFAULT-VALUE})")
    int conversations;

    public static void main(String[] args) {
        System.exit(ExitCodes.commandLine(new StoreBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (context < MIN_CONTEXT || context > 8192) {
            throw new IllegalArgumentException("CONTEXT must be in [" + MIN_CONTEXT + ", 8192], got " + context);
        }
        if (conversations < 1 || conversations > 64) throw new IllegalArgumentException("CONVERSATIONS must be in [1, 64], got " + conversations);
        try (ScratchDir scratch = ScratchDir.create("chunkkv-store-bench");
                KvCacheStore store = RedisKvCacheStore.connect(uri, new StoreLimits(Duration.ofHours(1), 1L << 30),
                        RedisKvCacheStore.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(30))) {
            RandomLlamaWriter.Shape shape = RandomLlamaWriter.Shape.realistic(Math.max(context, FIRST_TURN_TOKENS + TURNS * (TURN_TOKENS + REPLY_TOKENS)) + 64);
            var dir = RandomLlamaWriter.write(shape, scratch.path(), 768);
            try (AbstractModel jlamaA = ChunkKvJlama.loadJlamaModel(dir); AbstractModel jlamaB = ChunkKvJlama.loadJlamaModel(dir)) {
                System.out.println("| policy | context | stored bytes | F32 FullKV bytes | stored / FullKV | resume from Redis ms | re-prefill ms | speedup |");
                System.out.println("|---|---|---|---|---|---|---|---|");
                for (String policy : POLICIES) resume(jlamaA, jlamaB, store, ChunkKvConfig.parse(policy), context);
                System.out.println();
                System.out.println("| policy | conversations x turns | 1 instance turns/s | 2 instances via Redis turns/s | ratio |");
                System.out.println("|---|---|---|---|---|");
                for (String policy : POLICIES) throughput(jlamaA, jlamaB, store, ChunkKvConfig.parse(policy), conversations);
            }
        }
        return ExitCodes.OK;
    }

    private static int[] tokens(long seed, int n) {
        return new Random(seed).ints(n, 3, 4096).toArray();
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
    }

    /** A reply of {@link #REPLY_TOKENS} greedy tokens. */
    private static void reply(KvSession s, float[] logits) {
        for (int i = 0; i < REPLY_TOKENS; i++) logits = s.decode(Sampler.argmax(logits));
    }

    private static void resume(AbstractModel jlamaA, AbstractModel jlamaB, KvCacheStore store, ChunkKvConfig policy, int context) {
        try (ChunkKvModel a = ChunkKvJlama.wrap(jlamaA, policy); ChunkKvModel b = ChunkKvJlama.wrap(jlamaB, policy);
                SharedSessions sharedA = new SharedSessions(a, store, LoggerFactory.getLogger(StoreBench.class));
                SharedSessions sharedB = new SharedSessions(b, store, LoggerFactory.getLogger(StoreBench.class))) {
            int[] prompt = tokens(context, context - REPLY_TOKENS);
            KvSession s = a.openSession(policy);
            long start = System.nanoTime();
            reply(s, s.prefill(prompt));
            double prefillMs = (System.nanoTime() - start) / 1e6;
            byte[] snapshot = s.snapshot();
            long full = (long) s.position() * a.kvBytesPerPosition();
            sharedA.publish(s);
            int[] next = concat(s.tokens(), tokens(1, TURN_TOKENS));
            double[] resumeMs = new double[RESUME_RUNS];
            for (int r = 0; r < RESUME_RUNS; r++) {
                long t = System.nanoTime();
                KvSession resumed = sharedB.resume(next, policy, 0).orElseThrow(() -> new IllegalStateException("nothing to resume"));
                resumeMs[r] = (System.nanoTime() - t) / 1e6;
                resumed.close();
            }
            Arrays.sort(resumeMs);
            double median = resumeMs[RESUME_RUNS / 2];
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.3f | %.1f | %.1f | %.1fx |%n", policy.toSpec(), s.position(), snapshot.length, full,
                    (double) snapshot.length / full, median, prefillMs, prefillMs / median);
        }
    }

    /**
     * Every conversation: a {@link #FIRST_TURN_TOKENS}-token first turn, then {@link #TURNS} - 1 turns of {@link #TURN_TOKENS}
     * tokens, each answered with {@link #REPLY_TOKENS} tokens. One instance answers them all; two instances answer turn
     * k of conversation c on instance (c + k) % 2, resuming from Redis what the other one published, in parallel.
     */
    private static void throughput(AbstractModel jlamaA, AbstractModel jlamaB, KvCacheStore store, ChunkKvConfig policy, int conversations)
            throws Exception {
        double one;
        try (ChunkKvModel a = ChunkKvJlama.wrap(jlamaA, policy)) {
            List<KvSession> sessions = new ArrayList<>();
            for (int c = 0; c < conversations; c++) sessions.add(a.openSession(policy));
            long start = System.nanoTime();
            for (int k = 0; k < TURNS; k++) {
                for (int c = 0; c < conversations; c++) reply(sessions.get(c), sessions.get(c).prefill(turn(c, k)));
            }
            one = conversations * TURNS / ((System.nanoTime() - start) / 1e9);
        }
        double two;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ChunkKvModel a = ChunkKvJlama.wrap(jlamaA, policy); ChunkKvModel b = ChunkKvJlama.wrap(jlamaB, policy);
                SharedSessions sharedA = new SharedSessions(a, store, LoggerFactory.getLogger(StoreBench.class));
                SharedSessions sharedB = new SharedSessions(b, store, LoggerFactory.getLogger(StoreBench.class))) {
            List<SharedSessions> instances = List.of(sharedA, sharedB);
            List<ChunkKvModel> models = List.of(a, b);
            int[][] history = new int[conversations][0];
            long start = System.nanoTime();
            for (int k = 0; k < TURNS; k++) {
                int turn = k;
                List<Future<?>> round = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    int instance = i;
                    round.add(pool.submit(() -> {
                        for (int c = 0; c < conversations; c++) {
                            if ((c + turn) % 2 != instance) continue;
                            int[] prompt = concat(history[c], turn(c, turn));
                            KvSession s = turn == 0 ? models.get(instance).openSession(policy)
                                    : instances.get(instance).resume(prompt, policy, 0).orElseThrow(() -> new IllegalStateException("not in Redis"));
                            reply(s, s.prefill(Arrays.copyOfRange(prompt, s.position(), prompt.length)));
                            history[c] = s.tokens();
                            instances.get(instance).publish(s);
                            s.close();
                        }
                    }));
                }
                for (Future<?> f : round) f.get();
            }
            two = conversations * TURNS / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
        }
        System.out.printf(Locale.ROOT, "| %s | %d x %d | %.2f | %.2f | %.2f |%n", policy.toSpec(), conversations, TURNS, one, two, two / one);
    }

    private static int[] turn(int conversation, int k) {
        return tokens(1000L * conversation + k, k == 0 ? FIRST_TURN_TOKENS : TURN_TOKENS);
    }
}
