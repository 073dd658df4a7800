package io.github.chunkkv.jlama;

/**
 * Jlama and the ChunkKV kernels run on the JDK's incubating Vector API, which a JVM resolves only when asked to. Without
 * it, loading a model fails deep inside Jlama with a {@code NoClassDefFoundError}; the entry points call
 * {@link #require()} first to say instead what to add.
 */
public final class VectorApiCheck {
    /** The JVM option that makes the Vector API available. */
    public static final String JVM_OPTION = "--add-modules jdk.incubator.vector";

    private static final String MODULE = "jdk.incubator.vector";

    private VectorApiCheck() {}

    /** Whether this JVM was started with the Vector API module. */
    public static boolean available() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * Throws unless the Vector API is available.
     *
     * @throws IllegalStateException naming the JVM option to add and where Maven builds put it
     */
    public static void require() {
        if (!available()) {
            throw new IllegalStateException("ChunkKV and Jlama need the JDK's incubating Vector API, but this JVM (Java "
                    + Runtime.version().feature() + ") was started without it: add the JVM option '" + JVM_OPTION
                    + "' (JDK 21 or newer), e.g. java " + JVM_OPTION + " -jar app.jar; in Maven, put it in the surefire "
                    + "plugin's <argLine>, the exec plugin's <arguments> or the Spring Boot plugin's <jvmArguments>");
        }
    }
}
