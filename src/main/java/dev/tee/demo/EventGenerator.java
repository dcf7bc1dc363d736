package dev.tee.demo;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Makes realistic Teleport audit events of the common types (logins, SSH sessions, commands, database
 * queries, Kubernetes requests, access requests, certificates), shaped like a real cluster's audit
 * log, for the demo and for volume tests. Deterministic for a given seed; every event has its own uid.
 */
public final class EventGenerator {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String CLUSTER = "demo.example.com";
    private static final String[] USERS = {"alice@example.com", "bob@example.com", "carol@example.com",
            "dave@example.com", "ci-bot"};
    private static final String[] LOGINS = {"root", "ubuntu", "ec2-user", "deploy"};
    private static final String[] HOSTS = {"ip-10-0-1-17", "ip-10-0-1-23", "bastion-1", "db-proxy-2"};
    private static final String[] COMMANDS = {"ls -la /var/log", "systemctl status nginx", "tail -n 100 app.log",
            "kubectl get pods", "psql -c 'select 1'", "df -h"};
    private static final String[] QUERIES = {"SELECT * FROM orders WHERE id = $1", "UPDATE users SET last_seen = now()",
            "SELECT count(*) FROM audit", "BEGIN", "COMMIT"};

    private final Random random;
    private final Instant from;
    private final Duration spacing;
    private int count;
    private long index;

    /** Events start at {@code from}, one every {@code spacing}. */
    public EventGenerator(long seed, Instant from, Duration spacing) {
        this.random = new Random(seed);
        this.from = from;
        this.spacing = spacing;
    }

    public List<ObjectNode> generate(int n) {
        List<ObjectNode> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(next());
        }
        return events;
    }

    public ObjectNode next() {
        Instant time = from.plus(spacing.multipliedBy(count++));
        String user = pick(USERS);
        int kind = random.nextInt(100);
        ObjectNode event;
        if (kind < 12) {
            event = login(user, random.nextInt(10) > 0);
        } else if (kind < 22) {
            event = session("session.start", "T2000I", user);
            event.put("size", "80:25");
        } else if (kind < 30) {
            event = session("session.end", "T2004I", user);
            event.put("interactive", true);
            event.put("enhanced_recording", false);
            event.putArray("participants").add(user);
            event.put("session_start", DateTimeFormatter.ISO_INSTANT.format(time.minusSeconds(60 + random.nextInt(3600))));
            event.put("session_stop", DateTimeFormatter.ISO_INSTANT.format(time));
        } else if (kind < 34) {
            event = session("session.upload", "T2005I", user);
            event.put("url", "s3://teleport-recordings/" + event.get("sid").asText());
        } else if (kind < 52) {
            event = session("exec", "T3002I", user);
            event.put("command", pick(COMMANDS));
            event.put("exitCode", "0");
        } else if (kind < 68) {
            event = database(user);
        } else if (kind < 80) {
            event = kubernetes(user);
        } else if (kind < 88) {
            event = base("cert.create", "TC000I");
            event.put("cert_type", "user");
            event.putObject("identity").put("user", user).putArray("roles").add("access");
        } else {
            event = base("access_request.create", "T5000I");
            event.put("user", user);
            event.put("id", uuid());
            event.put("state", "PENDING");
            event.putArray("roles").add("dba");
            event.put("reason", "investigating incident INC-" + (1000 + random.nextInt(9000)));
        }
        event.put("time", DateTimeFormatter.ISO_INSTANT.format(time));
        return event;
    }

    private ObjectNode base(String type, String code) {
        ObjectNode event = NODES.objectNode();
        event.put("cluster_name", CLUSTER);
        event.put("code", code);
        event.put("ei", index++ % 1000);
        event.put("event", type);
        event.put("uid", uuid());
        return event;
    }

    private ObjectNode login(String user, boolean success) {
        ObjectNode event = base("user.login", success ? "T1000I" : "T1000W");
        event.put("method", random.nextBoolean() ? "local" : "oidc");
        event.put("success", success);
        event.put("user", user);
        event.put("login", pick(LOGINS));
        event.put("addr.remote", "203.0.113." + random.nextInt(255) + ":" + (30000 + random.nextInt(30000)));
        if (!success) {
            event.put("error", "invalid username, password or second factor");
        }
        return event;
    }

    private ObjectNode session(String type, String code, String user) {
        ObjectNode event = base(type, code);
        String host = pick(HOSTS);
        event.put("user", user);
        event.put("login", pick(LOGINS));
        event.put("namespace", "default");
        event.put("sid", uuid());
        event.put("server_id", UUID.nameUUIDFromBytes(host.getBytes()).toString());
        event.put("server_hostname", host);
        event.put("addr.local", "10.0.1." + (10 + random.nextInt(40)) + ":3022");
        event.put("addr.remote", "203.0.113." + random.nextInt(255) + ":" + (30000 + random.nextInt(30000)));
        return event;
    }

    private ObjectNode database(String user) {
        ObjectNode event = base("db.session.query", "TDB02I");
        event.put("user", user);
        event.put("sid", uuid());
        event.put("db_service", "postgres-prod");
        event.put("db_protocol", "postgres");
        event.put("db_uri", "postgres-prod.internal:5432");
        event.put("db_user", "app_ro");
        event.put("db_name", "orders");
        event.put("db_query", pick(QUERIES));
        event.put("success", true);
        return event;
    }

    private ObjectNode kubernetes(String user) {
        ObjectNode event = base("kube.request", "T3009I");
        event.put("user", user);
        event.put("login", user);
        event.put("kubernetes_cluster", "prod-eu-1");
        event.put("proto", "kube");
        event.put("verb", random.nextInt(5) == 0 ? "DELETE" : "GET");
        event.put("request_path", "/api/v1/namespaces/payments/pods/api-" + random.nextInt(20));
        event.put("resource_kind", "pods");
        event.put("resource_namespace", "payments");
        event.put("response_code", 200);
        return event;
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }

    /** A version-4 UUID drawn from the seeded generator, so runs are repeatable. */
    private String uuid() {
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
