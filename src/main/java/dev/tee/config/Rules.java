package dev.tee.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The rules between keys: the Go handler's credential and certificate pairings, and our outputs'. */
final class Rules {

    private final Map<ConfigKey, Object> values;

    Rules(Map<ConfigKey, Object> values) {
        this.values = values;
    }

    void check() {
        teleportCredentials();
        bothOrNeither(ConfigKey.FORWARD_FLUENTD_CERT, ConfigKey.FORWARD_FLUENTD_KEY);
        needs(ConfigKey.FORWARD_FLUENTD_KEY_PASSPHRASE, ConfigKey.FORWARD_FLUENTD_KEY);
        String output = (String) values.get(ConfigKey.OUTPUT);
        switch (output) {
            case "fluentd" -> {
                requiredFor(ConfigKey.FORWARD_FLUENTD_URL, output);
                requiredFor(ConfigKey.FORWARD_FLUENTD_SESSION_URL, output);
            }
            case "s3" -> requiredFor(ConfigKey.FORWARD_S3_BUCKET, output);
            case "file" -> requiredFor(ConfigKey.FORWARD_FILE_DIR, output);
            default -> throw new IllegalStateException("output " + output + " has no rules");
        }
        bothOrNeither(ConfigKey.FORWARD_S3_ACCESS_KEY_ID, ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY);
        if (set(ConfigKey.FORWARD_S3_SSE_KMS_KEY_ID) && !"aws:kms".equals(values.get(ConfigKey.FORWARD_S3_SSE))) {
            throw new ConfigException(ConfigKey.FORWARD_S3_SSE_KMS_KEY_ID.key() + " is set but "
                    + ConfigKey.FORWARD_S3_SSE.key() + " is not aws:kms; set " + ConfigKey.FORWARD_S3_SSE.key()
                    + "=aws:kms or remove the key id");
        }
    }

    /** As TeleportConfig.Check in the Go handler: an identity file, or the whole trio, not both. */
    private void teleportCredentials() {
        List<String> given = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (ConfigKey key : List.of(ConfigKey.TELEPORT_CA, ConfigKey.TELEPORT_CERT, ConfigKey.TELEPORT_KEY)) {
            (set(key) ? given : missing).add(key.key());
        }
        boolean identity = set(ConfigKey.TELEPORT_IDENTITY);
        if (identity && !given.isEmpty()) {
            throw new ConfigException("teleport.identity cannot be combined with " + join(given)
                    + ": use the identity file or the teleport.ca, teleport.cert and teleport.key trio");
        }
        if (!given.isEmpty() && !missing.isEmpty()) {
            throw new ConfigException(join(given) + (given.size() == 1 ? " is" : " are") + " set but "
                    + join(missing) + (missing.size() == 1 ? " is" : " are")
                    + " missing: give all of teleport.ca, teleport.cert and teleport.key, or teleport.identity");
        }
        if (!identity && given.isEmpty()) {
            throw new ConfigException("no Teleport credentials configured: set teleport.identity"
                    + " (or teleport.ca, teleport.cert and teleport.key)");
        }
    }

    private void bothOrNeither(ConfigKey a, ConfigKey b) {
        if (set(a) != set(b)) {
            ConfigKey given = set(a) ? a : b;
            ConfigKey missing = set(a) ? b : a;
            throw new ConfigException(given.key() + " is set but " + missing.key()
                    + " is missing: give both or neither");
        }
    }

    private void needs(ConfigKey key, ConfigKey needed) {
        if (set(key) && !set(needed)) {
            throw new ConfigException(key.key() + " is set but " + needed.key() + " is not");
        }
    }

    private void requiredFor(ConfigKey key, String output) {
        if (!set(key)) {
            throw new ConfigException(key.key() + " is required with output=" + output);
        }
    }

    private boolean set(ConfigKey key) {
        return values.containsKey(key);
    }

    private static String join(List<String> keys) {
        if (keys.size() == 1) {
            return keys.get(0);
        }
        return String.join(", ", keys.subList(0, keys.size() - 1)) + " and " + keys.get(keys.size() - 1);
    }
}
