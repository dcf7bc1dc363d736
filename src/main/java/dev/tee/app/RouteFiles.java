package dev.tee.app;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.tee.config.ConfigException;
import org.apache.camel.CamelContext;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.RoutesLoader;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

/**
 * Checks that every route file of a user's {@code routes/} directory parses, with Camel's own YAML
 * DSL loader, before the exporter prints anything: a YAML syntax error, an unknown step or an
 * unknown option of a step is one line naming the file and the line, instead of Camel's stack trace
 * after the start-up log. What the routes call (beans, endpoints) is only known once Camel starts.
 */
final class RouteFiles {

    private RouteFiles() {
    }

    /** @throws ConfigException naming the directory or file, and the line when the parser gives it */
    static void check(Path dir) {
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(file -> file.getFileName().toString().endsWith(".yaml")).sorted().toList();
        } catch (AccessDeniedException e) {
            throw new ConfigException("routes: " + dir + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException("routes: " + dir + ": cannot list the route files: " + e.getMessage());
        }
        // Parsing needs a context but no start; it is not closed, as closing logs Camel's shutdown
        // lines, and an unstarted context holds no threads or other resources.
        CamelContext camel = new DefaultCamelContext(false);
        RoutesLoader loader = PluginHelper.getRoutesLoader(camel);
        for (Path file : files) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new ConfigException("routes: " + file + ": cannot be read"
                        + (Files.isDirectory(file) ? " (a directory)" : Files.exists(file) ? " (permission denied)"
                                : " (a link to a file that does not exist)"));
            }
            try {
                for (RoutesBuilder builder : loader.findRoutesBuilders(ResourceHelper.resolveResource(camel,
                        "file:" + file.toAbsolutePath()))) {
                    // the YAML loader turns nodes into steps here: unknown steps and options show up now
                    if (builder instanceof RouteBuilder routes) {
                        routes.setCamelContext(camel);
                        routes.configure();
                    }
                }
            } catch (Exception e) {
                throw new ConfigException("routes: " + file + problem(e), e);
            }
        }
    }

    /** ", line 6, column 11: Unknown node id: lgo", from the parser's mark; else the deepest message. */
    private static String problem(Throwable failure) {
        Throwable deepest = failure;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof MarkedYamlEngineException marked) {
                String syntax = marked.getClass().getName().startsWith("org.snakeyaml") ? "YAML syntax error: " : "";
                String context = marked.getContext() == null ? ""
                        : marked.getContext() + marked.getContextMark().map(mark -> " (line " + line(mark) + ")")
                                .orElse("") + ": ";
                String where = marked.getProblemMark()
                        .map(mark -> ", line " + line(mark) + ", column " + (mark.getColumn() + 1)).orElse("");
                return where + ": " + syntax + context + marked.getProblem();
            }
            deepest = cause;
        }
        return ": " + (deepest.getMessage() == null ? deepest.getClass().getSimpleName() : deepest.getMessage());
    }

    private static int line(Mark mark) {
        return mark.getLine() + 1;
    }
}
