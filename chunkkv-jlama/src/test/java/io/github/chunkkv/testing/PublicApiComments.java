package io.github.chunkkv.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import jdk.javadoc.doclet.Doclet;
import jdk.javadoc.doclet.DocletEnvironment;
import jdk.javadoc.doclet.Reporter;

/**
 * Checks that every public and protected type, constructor, method and field of a module's main sources has a
 * javadoc comment with a main description.
 *
 * <p>The javadoc jars are built with doclint's "missing" group off: javadoc always warns that the incubating Vector
 * API module is in use, so that build cannot fail on warnings, and doclint's missing-comment warnings are only
 * told apart from its missing-{@code @param} ones by their localised text. This check runs javadoc with
 * {@link MissingComments}, a doclet that reports each undocumented element as an error at its source line, the same
 * in every locale and on every JDK. It follows javadoc's rules: a method that overrides or implements another
 * inherits that comment, and members the compiler adds need none, except a class's implicit public constructor,
 * which javadoc flags as well ("use of default constructor").
 */
public final class PublicApiComments {
    private PublicApiComments() {}

    /** Fails, listing each offender as {@code File.java:line: message}, unless all of {@code sourceRoot} is documented. */
    public static void assertDocumented(Path sourceRoot) throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("sourceRoot holds no .java files: " + sourceRoot.toAbsolutePath());
        }
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javadoc.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            // The test class path holds the module's compile dependencies (surefire's manifest jar is expanded).
            List<String> options = List.of("--add-modules", "jdk.incubator.vector",
                    "--class-path", System.getProperty("java.class.path"), "-quiet");
            boolean ran = javadoc.getTask(null, files, diagnostics, MissingComments.class, options,
                    files.getJavaFileObjectsFromPaths(sources)).call();
            List<String> errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(PublicApiComments::describe)
                    .toList();
            if (!ran || !errors.isEmpty()) {
                throw new AssertionError(errors.size() + " public API problem(s) in " + sourceRoot + ":\n"
                        + String.join("\n", errors));
            }
        }
    }

    private static String describe(Diagnostic<? extends JavaFileObject> d) {
        if (d.getSource() == null) {
            return d.getMessage(Locale.ROOT);
        }
        return Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT);
    }

    /** The doclet: reports each included (public or protected) element that lacks a comment or its description. */
    public static final class MissingComments implements Doclet {
        private Reporter reporter;

        /** Javadoc instantiates doclets reflectively. */
        public MissingComments() {}

        @Override
        public void init(Locale locale, Reporter reporter) {
            this.reporter = reporter;
        }

        @Override
        public String getName() {
            return "MissingComments";
        }

        @Override
        public Set<? extends Option> getSupportedOptions() {
            return Set.of();
        }

        @Override
        public SourceVersion getSupportedSourceVersion() {
            return SourceVersion.latest();
        }

        @Override
        public boolean run(DocletEnvironment env) {
            Set<TypeElement> hiddenSupertypes = new LinkedHashSet<>();
            for (TypeElement type : ElementFilter.typesIn(env.getIncludedElements())) {
                check(env, type);
                for (Element member : type.getEnclosedElements()) {
                    if ((isField(member) || member instanceof ExecutableElement) && env.isIncluded(member)) {
                        check(env, member);
                    }
                }
                hiddenSupertypes.addAll(hiddenSuperclasses(env, type));
            }
            // Javadoc shows the inherited public and protected fields and methods of a package-private superclass
            // as members of its public subclasses, so those need comments too.
            for (TypeElement hidden : hiddenSupertypes) {
                for (Element member : hidden.getEnclosedElements()) {
                    boolean visible = member.getModifiers().contains(Modifier.PUBLIC)
                            || member.getModifiers().contains(Modifier.PROTECTED);
                    if (visible && (isField(member) || member.getKind() == ElementKind.METHOD)) {
                        check(env, member);
                    }
                }
            }
            return true;
        }

        /** The superclasses of {@code type} in these sources that are not documented themselves. */
        private static List<TypeElement> hiddenSuperclasses(DocletEnvironment env, TypeElement type) {
            List<TypeElement> hidden = new ArrayList<>();
            Element superclass = env.getTypeUtils().asElement(type.getSuperclass());
            while (superclass instanceof TypeElement s && env.getDocTrees().getPath(s) != null) {
                if (!env.isIncluded(s)) {
                    hidden.add(s);
                }
                superclass = env.getTypeUtils().asElement(s.getSuperclass());
            }
            return hidden;
        }

        private static boolean isField(Element e) {
            return e.getKind() == ElementKind.FIELD || e.getKind() == ElementKind.ENUM_CONSTANT;
        }

        private void check(DocletEnvironment env, Element e) {
            // Compiler-added members: javadoc documents enum values/valueOf and a record's canonical constructor and
            // accessors itself (from the record's @param tags), but not a class's implicit public constructor.
            if (env.getElementUtils().getOrigin(e) == Elements.Origin.MANDATED || env.getDocTrees().getPath(e) == null) {
                if (e.getKind() == ElementKind.CONSTRUCTOR && e.getEnclosingElement().getKind() == ElementKind.CLASS) {
                    reporter.print(Diagnostic.Kind.ERROR, e.getEnclosingElement(),
                            "implicit public constructor of " + e.getEnclosingElement() + " has no comment; declare it");
                }
                return;
            }
            if (e instanceof ExecutableElement method && overridesAnother(env, method)) {
                return;
            }
            var comment = env.getDocTrees().getDocCommentTree(e);
            if (comment == null) {
                String kind = e.getKind().toString().toLowerCase(Locale.ROOT);
                reporter.print(Diagnostic.Kind.ERROR, e, "no comment on " + kind + " " + e);
            } else if (comment.getFullBody().isEmpty()) {
                reporter.print(Diagnostic.Kind.ERROR, e, "no main description on " + e);
            }
        }

        private static boolean overridesAnother(DocletEnvironment env, ExecutableElement method) {
            if (method.getKind() != ElementKind.METHOD) {
                return false;
            }
            TypeElement owner = (TypeElement) method.getEnclosingElement();
            List<TypeElement> pending = new ArrayList<>(List.of(owner));
            while (!pending.isEmpty()) {
                TypeElement type = pending.removeLast();
                for (var supertype : env.getTypeUtils().directSupertypes(type.asType())) {
                    TypeElement superElement = (TypeElement) env.getTypeUtils().asElement(supertype);
                    for (ExecutableElement candidate : ElementFilter.methodsIn(superElement.getEnclosedElements())) {
                        if (env.getElementUtils().overrides(method, candidate, owner)) {
                            return true;
                        }
                    }
                    pending.add(superElement);
                }
            }
            return false;
        }
    }
}
