package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generation loop on a tiny random-weight model against a reference read step by step through prefill, argmax
 * and decode. End-of-sequence and special tokens are made out of tokens the model is known to emit, by editing the
 * model folder's config and tokenizer.
 */
class GenerationLoopTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TinyModels.Spec SPEC = TinyModels.llama();
    private static final int[] PROMPT = new Random(3).ints(40, 3, SPEC.vocab()).toArray();
    private static final int REFERENCE_TOKENS = 24;

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(SPEC);

    @TempDir
    static Path dir;

    /** The greedy continuation of PROMPT. */
    static int[] reference;

    @BeforeAll
    static void readReference() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            KvSession s = m.openSession();
            float[] logits = s.prefill(PROMPT);
            reference = new int[REFERENCE_TOKENS];
            for (int i = 0; i < reference.length; i++) {
                reference[i] = Sampler.argmax(logits);
                if (i + 1 < reference.length) logits = s.decode(reference[i]);
            }
        }
        assertFalse(Arrays.stream(reference).anyMatch(LLAMA.model().getConfig().eosTokens::contains),
                "fixture: the reference must not reach the model's own end-of-sequence token");
    }

    /** Generates on a fresh full-cache session of {@code jlama}, collecting the streamed text. */
    private static GenerationResult generate(AbstractModel jlama, int[] prompt, GenerationOptions options, StringBuilder streamed) {
        try (ChunkKvModel m = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full()); KvSession s = m.openSession()) {
            return s.generate(prompt, options, (text, generated, nanos) -> {
                assertFalse(text.isEmpty(), "pieces are never empty");
                streamed.append(text);
            });
        }
    }

    /** The reply text of {@code tokens[from..to)}: special tokens left out. */
    private static String reply(Tokenizer tokenizer, int[] tokens, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < to; i++) if (!tokenizer.getModel().isSpecialToken(tokens[i])) out.append(tokenizer.decode(tokens[i]));
        return out.toString();
    }

    private static String withSpecialTokens(Tokenizer tokenizer, int[] tokens, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < to; i++) out.append(tokenizer.decode(tokens[i]));
        return out.toString();
    }

    @Test
    void theTokenLimitStopsAfterTheReferenceTokensWithTheLastOneNotFedBack() {
        StringBuilder streamed = new StringBuilder();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            GenerationResult r = s.generate(PROMPT, GenerationOptions.maxTokens(10), (text, generated, nanos) -> streamed.append(text));
            assertEquals(StopReason.MAX_TOKENS, r.stopReason());
            assertEquals(10, r.generatedTokens());
            assertEquals(PROMPT.length, r.promptTokens());
            assertEquals(PROMPT.length, r.stats().promptTokens());
            assertEquals(reply(LLAMA.model().getTokenizer(), reference, 0, 10), r.text());
            assertEquals(withSpecialTokens(LLAMA.model().getTokenizer(), reference, 0, 10), r.textWithSpecialTokens());
            assertEquals(r.text(), streamed.toString(), "the streamed pieces are the reply");
            assertEquals(reference[9], r.lastSampledToken());
            assertEquals(PROMPT.length + 9, s.position(), "every sampled token but the last is in the cache");
        }
    }

    @Test
    void aStopSequenceSpanningTokensCutsTheReplyAndIsNeverStreamed() {
        String full = reply(LLAMA.model().getTokenizer(), reference, 0, REFERENCE_TOKENS);
        String stop = full.substring(6, 9);
        int cut = full.indexOf(stop);
        int tokensToStop = 1;
        while (!reply(LLAMA.model().getTokenizer(), reference, 0, tokensToStop).contains(stop)) tokensToStop++;
        assertTrue(reply(LLAMA.model().getTokenizer(), reference, 0, tokensToStop - 1).length() > cut,
                "fixture: the stop sequence starts before the token that completes it");

        StringBuilder streamed = new StringBuilder();
        GenerationResult r = generate(LLAMA.model(), PROMPT, GenerationOptions.maxTokens(REFERENCE_TOKENS).withStopSequences(List.of("no such text", stop)), streamed);
        assertEquals(StopReason.STOP_SEQUENCE, r.stopReason());
        assertEquals(full.substring(0, cut), r.text());
        assertEquals(r.text(), streamed.toString(), "the start of the stop sequence was held back, then dropped");
        assertEquals(tokensToStop, r.generatedTokens(), "the token completing the stop sequence counts");
        assertEquals(withSpecialTokens(LLAMA.model().getTokenizer(), reference, 0, tokensToStop), r.textWithSpecialTokens());
    }

    @Test
    void textHeldBackForAStopSequenceIsReleasedWhenTheReplyEnds() {
        String full = reply(LLAMA.model().getTokenizer(), reference, 0, 8);
        String stop = full.substring(6) + "\u0000"; // the reply's last two characters start it, nothing completes it
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = generate(LLAMA.model(), PROMPT, GenerationOptions.maxTokens(8).withStopSequences(List.of(stop)), streamed);
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(full, r.text());
        assertEquals(full, streamed.toString());
    }

    @Test
    void theModelsEndOfSequenceTokenEndsTheReplyUncounted() throws IOException {
        int eos = reference[6];
        int at = indexOf(reference, eos);
        Path folder = TinyModels.write(SPEC, dir.resolve("eos"));
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        config.putArray("eos_token_id").add(2).add(eos);
        JSON.writeValue(folder.resolve("config.json").toFile(), config);
        AbstractModel withEos = TinyModels.load(folder);
        try (withEos; ChunkKvModel m = ChunkKvJlama.wrap(withEos, ChunkKvConfig.full()); KvSession s = m.openSession()) {
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = s.generate(PROMPT, GenerationOptions.maxTokens(REFERENCE_TOKENS), (text, n, nanos) -> streamed.append(text));
            assertEquals(StopReason.END_OF_SEQUENCE, r.stopReason());
            assertEquals(at, r.generatedTokens());
            assertEquals(reply(withEos.getTokenizer(), reference, 0, at), r.text());
            assertEquals(r.text(), streamed.toString());
            assertEquals(eos, r.lastSampledToken(), "the end-of-sequence token is handed back, not fed");
            assertEquals(PROMPT.length + at, s.position());
        }
    }

    @Test
    void specialTokensCountButStayOutOfTheText() throws IOException {
        int special = reference[3];
        Path folder = TinyModels.write(SPEC, dir.resolve("special"));
        ObjectNode tokenizer = (ObjectNode) JSON.readTree(folder.resolve("tokenizer.json").toFile());
        ((ArrayNode) tokenizer.get("added_tokens")).addObject()
                .put("id", special).put("content", LLAMA.model().getTokenizer().decode(special)).put("special", true);
        JSON.writeValue(folder.resolve("tokenizer.json").toFile(), tokenizer);
        AbstractModel withSpecial = TinyModels.load(folder);
        try (withSpecial) {
            Tokenizer t = withSpecial.getTokenizer();
            assertTrue(t.getModel().isSpecialToken(special), "fixture");
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = generate(withSpecial, PROMPT, GenerationOptions.maxTokens(10), streamed);
            assertEquals(10, r.generatedTokens(), "special tokens count");
            assertEquals(reply(t, reference, 0, 10), r.text());
            assertEquals(reply(LLAMA.model().getTokenizer(), reference, 0, 10).length() - count(reference, special, 10), r.text().length(),
                    "each one-character token made special is left out");
            assertEquals(withSpecialTokens(t, reference, 0, 10), r.textWithSpecialTokens());
            assertEquals(r.text(), streamed.toString());
        }
    }

    @Test
    void aFullContextEndsTheReply() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.chunkKv(0.5)); KvSession s = m.openSession()) {
            int[] prompt = new Random(5).ints(m.maxPositions() - 3, 3, SPEC.vocab()).toArray();
            GenerationResult r = s.generate(prompt, GenerationOptions.maxTokens(Integer.MAX_VALUE), TextListener.NONE);
            assertEquals(StopReason.CONTEXT_FULL, r.stopReason(), "tokens: " + r.generatedTokens());
            assertEquals(m.maxPositions(), s.position());
            assertEquals(4, r.generatedTokens(), "three fed, the fourth sampled at the last position");
        }
    }

    @Test
    void seededSamplingIsReproducible() {
        GenerationOptions warm = GenerationOptions.maxTokens(12).withSampling(SamplingOptions.temperature(1.5f));
        String[] replies = new String[2];
        for (int run = 0; run < 2; run++) {
            try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full(), 99); KvSession s = m.openSession()) {
                replies[run] = s.generate(PROMPT, warm, TextListener.NONE).text();
            }
        }
        assertEquals(replies[0], replies[1]);
    }

    @Test
    void regenerateAnswersTheLastPrefillAgainFromItsKeptLogits() {
        for (ChunkKvConfig config : List.of(ChunkKvConfig.full(), ChunkKvConfig.parse("chunkkv:keep=0.5,chunk=4,window=8"))) {
            try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), config); KvSession s = m.openSession()) {
                assertThrows(IllegalStateException.class, () -> s.regenerate(GenerationOptions.maxTokens(3), TextListener.NONE));
                GenerationResult first = s.generate(PROMPT, GenerationOptions.maxTokens(10), TextListener.NONE);
                int[] firstTokens = s.tokens();
                GenerationResult again = s.regenerate(GenerationOptions.maxTokens(10), TextListener.NONE);
                assertEquals(first.text(), again.text(), config.toSpec());
                assertArrayEquals(firstTokens, s.tokens(), "the first reply was forgotten and generated again");
                assertEquals(0, again.promptTokens());
                assertEquals(0, again.stats().promptTokens(), "nothing prefilled");
                assertEquals(0, again.stats().compressNanos(), "nothing compressed");
            }
        }
    }

    @Test
    void aPassedTimeLimitEndsTheReplyCleanlyAfterTheTokenInHand() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            // One nanosecond has passed by the time the prefill is done: the first token ends the reply.
            GenerationResult r = s.generate(PROMPT, GenerationOptions.maxTokens(REFERENCE_TOKENS).withTimeLimit(Duration.ofNanos(1)),
                    TextListener.NONE);
            assertEquals(StopReason.TIME_LIMIT, r.stopReason());
            assertEquals(1, r.generatedTokens());
            assertEquals(reference[0], r.lastSampledToken());
            assertEquals(PROMPT.length, s.position(), "the last sampled token is not fed back");
        }
        assertMessage(() -> GenerationOptions.maxTokens(1).withTimeLimit(Duration.ZERO), "timeLimit must be positive");
    }

    @Test
    void aSeedInTheOptionsMakesEveryGenerationReproducibleOnOneModel() {
        SamplingOptions seeded = SamplingOptions.temperature(1.5f).withTopP(0.95f).withTopK(40).withRepetitionPenalty(1.3f);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            int[][] replies = new int[3][];
            for (int run = 0; run < 3; run++) {
                long seed = run < 2 ? 17 : 18;
                try (KvSession s = m.openSession()) {
                    s.generate(PROMPT, GenerationOptions.maxTokens(16).withSampling(seeded.withSeed(seed)), TextListener.NONE);
                    replies[run] = Arrays.copyOfRange(s.tokens(), PROMPT.length, s.position());
                }
            }
            assertArrayEquals(replies[0], replies[1], "same seed, same tokens");
            assertFalse(Arrays.equals(replies[0], replies[2]), "another seed draws other tokens");
        }
    }

    @Test
    void badOptionsAndPromptsAreRefusedBeforeAnyWork() {
        assertMessage(() -> GenerationOptions.maxTokens(0), "maxTokens");
        assertMessage(() -> GenerationOptions.maxTokens(1).withStopSequences(List.of("a", "")), "stopSequences");
        assertMessage(() -> SamplingOptions.temperature(-0.5f), "temperature");
        assertMessage(() -> SamplingOptions.temperature(Float.NaN), "temperature");
        assertMessage(() -> SamplingOptions.temperature(Float.POSITIVE_INFINITY), "temperature");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            s.prefill(new int[] {5, 6, 7});
            Consumer<int[]> refused = prompt -> assertThrows(IllegalArgumentException.class,
                    () -> s.generate(prompt, GenerationOptions.maxTokens(4), (text, n, nanos) -> {
                        throw new AssertionError("no text for a refused prompt");
                    }));
            refused.accept(new int[0]);
            refused.accept(new int[] {SPEC.vocab()});
            refused.accept(new int[m.maxPositions()]);
            assertEquals(3, s.position(), "nothing half-written");
            assertThrows(NullPointerException.class, () -> s.generate(PROMPT, null, TextListener.NONE));
        }
    }

    private static void assertMessage(Runnable call, String parameter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(parameter), e.getMessage());
    }

    private static int count(int[] tokens, int token, int to) {
        int n = 0;
        for (int i = 0; i < to; i++) if (tokens[i] == token) n++;
        return n;
    }

    private static int indexOf(int[] tokens, int token) {
        for (int i = 0; i < tokens.length; i++) if (tokens[i] == token) return i;
        return -1;
    }
}
