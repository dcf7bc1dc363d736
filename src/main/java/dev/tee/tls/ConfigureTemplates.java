package dev.tee.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of the files {@code configure} writes besides certificates: templates kept as resources
 * beside this class, filled in with values quoted for each file's syntax.
 */
final class ConfigureTemplates {

    private static final String DIR = "/dev/tee/tls/configure/";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");
    private static final Pattern PASSPHRASE_LINE =
            Pattern.compile("^\\s*private_key_passphrase\\s+'((?:[^'\\\\]|\\\\.)*)'\\s*$", Pattern.MULTILINE);
    private static final Pattern SINGLE_QUOTED_ESCAPE = Pattern.compile("\\\\([\\\\'])");

    private ConfigureTemplates() {
    }

    static String fluentConf(Path dir, String passphrase) {
        return fill(Configure.FLUENT_CONF, Map.of(
                "ca_path", fluentdSingleQuoted(dir.resolve(Configure.CA_CERT).toString()),
                "server_cert_path", fluentdSingleQuoted(dir.resolve(Configure.SERVER_CERT).toString()),
                "server_key_path", fluentdSingleQuoted(dir.resolve(Configure.SERVER_KEY).toString()),
                "buffer_path", fluentdSingleQuoted(dir.resolve(Configure.FLUENTD_BUFFER).resolve("s3").toString()),
                "passphrase", fluentdSingleQuoted(passphrase),
                "audit_tag", Configure.auditTag(),
                "session_tag", Configure.sessionTagPattern()));
    }

    static String properties(Configure.Options options) {
        Path dir = options.outDir();
        return fill(Configure.PROPERTIES, Map.of(
                "audit_tag", Configure.auditTag(),
                "audit_url", propertyValue(Configure.AUDIT_URL),
                "session_url", propertyValue(Configure.SESSION_URL),
                "ca_path", propertyValue(dir.resolve(Configure.CA_CERT).toString()),
                "client_cert_path", propertyValue(dir.resolve(Configure.CLIENT_CERT).toString()),
                "client_key_path", propertyValue(dir.resolve(Configure.CLIENT_KEY).toString()),
                "teleport_addr", propertyValue(options.teleportAddr()),
                "teleport_user", Configure.TELEPORT_USER,
                "lock_settings", options.lock()
                        ? "\n# Lock a Teleport user after repeated failed logins (the role allows it).\nlock-enabled=true"
                        : ""));
    }

    static String handlerToml(Configure.Options options) {
        Path dir = options.outDir();
        return fill(Configure.HANDLER_TOML, Map.of(
                "ca_path", tomlString(dir.resolve(Configure.CA_CERT).toString()),
                "client_cert_path", tomlString(dir.resolve(Configure.CLIENT_CERT).toString()),
                "client_key_path", tomlString(dir.resolve(Configure.CLIENT_KEY).toString()),
                "audit_url", tomlString(Configure.AUDIT_URL),
                "session_url", tomlString(Configure.SESSION_URL),
                "teleport_addr", tomlString(options.teleportAddr()),
                "lock_settings", options.lock() ? "lock-enabled = true" : ""));
    }

    static String role(boolean lock) {
        return fill(Configure.ROLE, Map.of(
                "teleport_user", Configure.TELEPORT_USER,
                "lock_rule", lock
                        ? "      # Lock users after repeated failed logins (lock-enabled).\n"
                                + "      - resources: [lock]\n"
                                + "        verbs: [list, create, read, update, delete]\n"
                        : ""));
    }

    /** {@code owner} is "DEPLOY_UID=..\nDEPLOY_GID=..", or empty to keep the compose file's defaults. */
    static String composeEnv(Path dir, String owner) {
        return fill(Configure.COMPOSE_ENV, Map.of(
                "compose_env_path", dir.resolve(Configure.COMPOSE_ENV).toString(),
                "deploy_dir", dir.toString(),
                "owner", owner));
    }

    private static String fill(String template, Map<String, String> values) {
        String text;
        try (InputStream in = ConfigureTemplates.class.getResourceAsStream(DIR + template)) {
            if (in == null) {
                throw new IllegalStateException("template " + template + " is missing from the build");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = values.get(matcher.group(1));
            if (value == null) {
                throw new IllegalStateException("template " + template + " uses unknown {{" + matcher.group(1) + "}}");
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        // An empty optional section at the end leaves blank lines; every file ends with one newline.
        return out.toString().stripTrailing() + "\n";
    }

    /**
     * A Fluentd single-quoted string: only \' and \\ are escapes there, and unlike a double-quoted
     * string it never runs embedded Ruby ("#{...}").
     */
    static String fluentdSingleQuoted(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * The passphrase {@link #fluentConf} wrote into {@code text}: the single-quoted value of the
     * {@code private_key_passphrase} line, its \' and \\ escapes undone; empty when no such line is there.
     */
    static Optional<String> fluentConfPassphrase(String text) {
        Matcher line = PASSPHRASE_LINE.matcher(text);
        if (!line.find()) {
            return Optional.empty();
        }
        return Optional.of(SINGLE_QUOTED_ESCAPE.matcher(line.group(1)).replaceAll("$1"));
    }

    /** A value as java.util.Properties reads it back unchanged. */
    static String propertyValue(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\f' -> out.append("\\f");
                // Leading blanks would be dropped by the reader.
                case ' ' -> out.append(i == 0 ? "\\ " : " ");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A TOML basic string, quotes included. */
    static String tomlString(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04X", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
