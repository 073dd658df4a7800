package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * With evictions, every decode step must equal a plain reference that masks exactly the evicted positions of each
 * layer and rotates every kept key at its original position.
 */
class MaskedReferenceTest {
    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(TinyModels.llama(), "chunkkv:keep=0.3,chunk=4,window=8"),
                Arguments.of(TinyModels.llama(), "chunkkv:budget=40,chunk=5,window=8,reuse=2"),
                Arguments.of(TinyModels.qwen2(), "snapkv:keep=0.2,window=8"),
                Arguments.of(TinyModels.llama(), "pyramidkv:budget=48,window=8"),
                Arguments.of(TinyModels.llama(), "h2o:keep=0.25,window=8"),
                Arguments.of(TinyModels.llamaMha(), "streamingllm:budget=24,window=8"),
                Arguments.of(TinyModels.llama(), "chunkkv:scorer=h2o,keep=0.3,chunk=4,window=8"),
                Arguments.of(TinyModels.qwen2(), "keydiff:keep=0.2,window=8"));
    }

    /** Every registered policy, read from the registry, so a new one is checked as soon as it is registered. */
    static Stream<Arguments> everyRegisteredPolicy() {
        return PolicyRegistry.names().stream().map(name -> Arguments.of(TinyModels.llama(), name + ":keep=0.25,chunk=4,window=8"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource({"cases", "everyRegisteredPolicy"})
    void decodeMatchesMaskedReference(TinyModels.Spec spec, String policy) {
        AbstractModel model = TinyModels.load(TinyModels.write(spec, dir.resolve("m")));
        int[] prompt = new Random(5).ints(120, 3, spec.vocab()).toArray();
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        ChunkKvConfig config = ChunkKvConfig.parse(policy);
        try (ChunkKvModel compressed = ChunkKvJlama.wrap(model, config)) {
            KvSession session = compressed.openSession();
            float[] actual = session.prefill(prompt);
            float[] expected = null;
            for (int token : prompt) expected = reference.step(token, (layer, pos) -> true); // prefill sees everything
            ReferenceTransformer.assertMatches(expected, actual, "prefill");
            if (!config.keepsEverything()) assertTrue(session.cachedRows(0) < prompt.length, "the policy must evict something");

            int[][] kept = new int[spec.layers()][];
            for (int l = 0; l < spec.layers(); l++) kept[l] = session.cachedPositions(l);
            int promptEnd = prompt.length;
            for (int step = 0; step < 8; step++) {
                int next = Sampler.argmax(actual);
                actual = session.decode(next);
                expected = reference.step(next, (layer, pos) -> pos >= promptEnd || Arrays.binarySearch(kept[layer], pos) >= 0);
                ReferenceTransformer.assertMatches(expected, actual, "decode step " + step);
            }
        } finally {
            model.close();
        }
    }
}
