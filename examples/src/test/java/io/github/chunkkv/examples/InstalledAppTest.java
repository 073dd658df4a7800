package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Builds and tests {@code examples/installed-app}, a separate Maven application that depends on the installed
 * artifacts only, offline. It needs {@code ./chunkkv install} first, so it runs when asked:
 * {@code ./chunkkv install && mvn -pl examples test -Dtest=InstalledAppTest -Dchunkkv.installed-app=true}.
 */
@EnabledIfSystemProperty(named = "chunkkv.installed-app", matches = "true")
class InstalledAppTest {
    @Test
    void theSeparateAppBuildsAgainstTheInstalledArtifactsAndPassesItsTests() throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty(EmbeddedModel.REPO_DIR_PROPERTY, "..")).toAbsolutePath().normalize();
        Path app = repo.resolve("examples/installed-app");
        List<String> command = List.of("mvn", "-B", "-ntp", "-o", "-q", "-f", app.resolve("pom.xml").toString(), "test",
                "-Dchunkkv.version=" + System.getProperty("chunkkv.version"),
                "-Dneedle.dir=" + repo.resolve("models/needle-lm"));
        Process mvn = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true).start();
        String output = new String(mvn.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(mvn.waitFor(10, TimeUnit.MINUTES), "the app's build ends");
        assertEquals(0, mvn.exitValue(), output);
    }
}
