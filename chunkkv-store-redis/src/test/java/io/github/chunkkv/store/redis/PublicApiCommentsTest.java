package io.github.chunkkv.store.redis;

import io.github.chunkkv.testing.PublicApiComments;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The published javadoc describes every public and protected member of this module. */
class PublicApiCommentsTest {
    @Test
    void everyPublicMemberHasAComment() throws Exception {
        PublicApiComments.assertDocumented(Path.of("src/main/java"));
    }
}
