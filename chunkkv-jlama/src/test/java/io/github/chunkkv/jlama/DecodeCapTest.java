package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoding cap re-selects once per {@code slack + 1} steps, also for budgets that vary by layer. */
class DecodeCapTest {
    @TempDir
    Path dir;

    @Test
    void pyramidBudgetsAboveTheCapInLowerLayersDoNotReselectAtEveryStep() {
        // PyramidKV selects its lower layers above the cap; checking every layer against cap + slack re-selected at
        // every decode step (and kept the first layer above cap + slack for good).
        TinyModels.Spec spec = TinyModels.llama();
        AbstractModel model = TinyModels.load(TinyModels.write(spec, dir.resolve("m")));
        ChunkKvConfig config = ChunkKvConfig.parse("pyramidkv:keep=0.5,window=8,cap=24,slack=4");
        try (ChunkKvModel m = ChunkKvJlama.wrap(model, config); KvSession s = m.openSession()) {
            float[] logits = s.prefill(new Random(3).ints(80, 3, spec.vocab()).toArray());
            int reselections = 0;
            RecallStats last = s.lastRecallStats();
            int[] kept = new int[s.layers()];
            for (int step = 0; step < 20; step++) {
                logits = s.decode(Sampler.argmax(logits));
                if (s.lastRecallStats() != last) {
                    reselections++;
                    for (int l = 0; l < kept.length; l++) kept[l] = s.cachedRows(l);
                }
                last = s.lastRecallStats();
                for (int l = 0; l < kept.length; l++) {
                    assertTrue(s.cachedRows(l) <= Math.max(config.cap(), kept[l]) + config.slack(), "step " + step + ", layer " + l);
                }
            }
            assertTrue(kept[0] > config.cap() && kept[kept.length - 1] < config.cap(), "pyramid budgets fall by layer");
            assertEquals(4, reselections, "once at the first step, then once per slack + 1 = 5 steps");
        } finally {
            model.close();
        }
    }
}
