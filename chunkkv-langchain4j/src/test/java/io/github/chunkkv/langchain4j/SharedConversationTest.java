package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.chunkkv.langchain4j.SharedConversations.Turn;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.StoreLimits;
import io.github.chunkkv.store.redis.RedisKvCacheStore;
import io.github.chunkkv.store.redis.RedisServer;
import io.github.chunkkv.testing.RealModels;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.SubstituteLogger;

/**
 * One conversation on needle-lm answered by several instances of the chat model sharing a real Redis: the same answers
 * and the same reused-token counts as one instance alone, whichever instance answers a turn; and when Redis dies, is
 * corrupted or forgets, every turn is still answered (prefilled locally) with a warning in the log.
 */
class SharedConversationTest {
    static final Path DOCUMENT = MultiTurnMemoryTest.DOCUMENT;

    static RedisServer redis;
    static Path modelDir;
    static List<String> userTurns;
    /** What one instance without a store answers, turn by turn. */
    static List<Turn> alone = new ArrayList<>();

    @TempDir
    Path workDir;

    final Queue<SubstituteLoggingEvent> log = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void referenceAndRedis() throws Exception {
        redis = RedisServer.startOrSkip();
        modelDir = RealModels.needleLm();
        userTurns = SharedConversations.userTurns(DOCUMENT);
        List<ChatMessage> history = new ArrayList<>();
        try (ChunkKvJlamaChatModel model = SharedConversations.model(modelDir, null)) {
            for (String turn : userTurns) alone.add(SharedConversations.answer(model, history, turn));
        }
        assertTrue(alone.get(1).reusedTokens() > alone.get(0).promptTokens(), "a single instance continues its own session");
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) redis.close();
    }

    @BeforeEach
    void emptyRedis() {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().flushall();
        } finally {
            client.shutdown();
        }
    }

    private KvCacheStore store(Duration timeToLive) {
        return RedisKvCacheStore.connect(redis.uri(), new StoreLimits(timeToLive, 64L << 20), 64 << 10, Duration.ofSeconds(2));
    }

    /** A model instance with its own engine and sessions (one engine per store object) whose warnings land in {@link #log}. */
    private ChunkKvJlamaChatModel instance(KvCacheStore store) {
        return ChunkKvJlamaChatModel.builder().modelPath(modelDir).kvCompression(SharedConversations.POLICY)
                .maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS).store(store)
                .logger(new EventRecordingLogger(new SubstituteLogger("store", log, false), log)).build();
    }

    private boolean warned(String start) {
        return log.stream().anyMatch(e -> e.getMessage().startsWith(start));
    }

    @Test
    void twoJvmsAnsweringAlternateTurnsAnswerAsOneInstanceAndPrefillOnlyTheNewTurn() throws Exception {
        List<ChatMessage> history = new ArrayList<>();
        List<Turn> shared = new ArrayList<>();
        int turns = 3; // here, there, here: each JVM continues a turn the other one wrote
        try (KvCacheStore store = store(Duration.ofMinutes(10)); ChunkKvJlamaChatModel here = SharedConversations.model(modelDir, store)) {
            for (int t = 0; t < turns; t++) {
                if (t % 2 == 0) {
                    shared.add(SharedConversations.answer(here, history, userTurns.get(t)));
                    here.awaitStoreWrites();
                } else {
                    history.add(UserMessage.from(userTurns.get(t)));
                    Turn there = SharedConversations.answerInAnotherJvm(modelDir, redis.uri(), history, workDir);
                    history.add(AiMessage.from(there.text()));
                    shared.add(there);
                }
            }
        }
        assertEquals(alone.subList(0, turns), shared, "answers, prompt and reused tokens of every turn");
        for (int t = 1; t < shared.size(); t++) {
            assertTrue(shared.get(t).reusedTokens() > shared.get(t - 1).promptTokens(), "turn " + t + " prefilled only the new turn");
        }
    }

    @Test
    void whenRedisDiesTurnsArePrefilledLocallyWithAWarningAndAfterARestartTheyAreSharedAgain() throws Exception {
        List<ChatMessage> historyA = new ArrayList<>();
        try (KvCacheStore storeA = store(Duration.ofMinutes(10)); KvCacheStore storeB = store(Duration.ofMinutes(10));
                ChunkKvJlamaChatModel a = instance(storeA); ChunkKvJlamaChatModel b = instance(storeB)) {
            assertEquals(alone.get(0), SharedConversations.answer(a, historyA, userTurns.get(0)));
            a.awaitStoreWrites();
            redis.kill();

            List<ChatMessage> historyB = new ArrayList<>(historyA);
            assertEquals(alone.get(1), SharedConversations.answer(a, historyA, userTurns.get(1)), "A continues its own session");
            Turn b1 = SharedConversations.answer(b, historyB, userTurns.get(1));
            assertEquals(alone.get(1).text(), b1.text(), "B answers without the store");
            assertEquals(0, b1.reusedTokens(), "B prefilled the whole conversation itself");
            a.awaitStoreWrites();
            assertTrue(warned("KV cache store unavailable, prefilling locally"), log.toString());
            assertTrue(warned("KV cache store unavailable, the conversation stays local only"), log.toString());

            redis.restart();
            awaitReconnect(storeA);
            awaitReconnect(storeB);
            assertEquals(alone.get(2), SharedConversations.answer(a, historyA, userTurns.get(2)));
            a.awaitStoreWrites();
            historyB.add(historyA.get(4));
            historyB.add(historyA.get(5));
            assertEquals(alone.get(3), SharedConversations.answer(b, historyB, userTurns.get(3)), "B resumes A's turn from Redis");
        }
    }

    @Test
    void aCorruptedEntryIsDroppedAndTheTurnIsPrefilledAgain() throws Exception {
        assertSecondTurnIsPrefilledAgain(Duration.ofMinutes(10), () -> {
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                List<String> chunks = c.sync().keys("*:s:*}:*");
                assertTrue(chunks.size() > 1, chunks.toString());
                c.sync().setrange(chunks.get(chunks.size() / 2), 100, "\u0001\u0002");
            } finally {
                client.shutdown();
            }
        });
    }

    @Test
    void anExpiredConversationIsPrefilledAgain() throws Exception {
        assertSecondTurnIsPrefilledAgain(Duration.ofMillis(500), () -> Thread.sleep(1500));
    }

    /** Something that happens to the store between two turns. */
    private interface StoreEvent {
        void happen() throws Exception;
    }

    /** A answers the first turn and writes it; after {@code event}, B answers the second turn without the stored one. */
    private void assertSecondTurnIsPrefilledAgain(Duration timeToLive, StoreEvent event) throws Exception {
        List<ChatMessage> history = new ArrayList<>();
        try (KvCacheStore storeA = store(timeToLive); KvCacheStore storeB = store(timeToLive);
                ChunkKvJlamaChatModel a = instance(storeA); ChunkKvJlamaChatModel b = instance(storeB)) {
            SharedConversations.answer(a, history, userTurns.get(0));
            a.awaitStoreWrites();
            event.happen();
            Turn turn = SharedConversations.answer(b, history, userTurns.get(1));
            assertEquals(alone.get(1).text(), turn.text());
            assertEquals(0, turn.reusedTokens(), "the stored turn was not used");
        }
    }

    /** Lettuce reconnects in the background; a store is usable again once a command succeeds. */
    private static void awaitReconnect(KvCacheStore store) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            try {
                assertEquals(Optional.empty(), store.get("probe"));
                return;
            } catch (RedisException e) {
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }
}
