package io.github.chunkkv.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.llama.LlamaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer imported from the vendored stories260K must split text exactly like llama2.c's {@code encode()}. */
class Stories260KTokenizerTest {
    @Test
    void tokenizesLikeLlama2cEncode(@TempDir Path tmp) throws Exception {
        Path src = Path.of(System.getProperty("chunkkv.repo.dir", ".."), "models", "stories260K");
        assertTrue(Files.isRegularFile(src.resolve("tok512.bin")), "the repository ships " + src.resolve("tok512.bin"));
        Path imported = Llama2cImporter.importModel(src.resolve("stories260K.bin"), src.resolve("tok512.bin"), tmp.resolve("model"));
        Llama2cReferenceEncoder reference = new Llama2cReferenceEncoder(Llama2cVocab.read(src.resolve("tok512.bin"), 512));
        LlamaTokenizer jlama = new LlamaTokenizer(imported);
        String golden = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball. She wanted to play with it, but it was too high.";
        for (String text : List.of(golden, "Tom and Sue went to the big store. They wanted to buy a toy!", "\"Hello,\" said the bird.\nThe end.",
                "A 123 number, café and ümlaut: done...")) {
            List<Integer> expected = reference.encode(text);
            assertEquals(expected.subList(1, expected.size()), Arrays.stream(jlama.encode(text)).mapToObj(x -> (int) x).toList(), text);
        }
    }
}
