package dev.tee.demo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the demo's servers need to know of a TLS ClientHello before taking part in the handshake,
 * read from the raw bytes a client sent: the server name (SNI) and the ALPN protocol list a Teleport
 * Proxy routes on, and whether the client offers a session ticket to resume a TLS 1.2 session, which
 * Fluentd refuses (see {@link FluentdStandIn}).
 *
 * <p>The ClientHello is the first handshake message (RFC 8446 §4.1.2, the same layout since TLS 1.0);
 * it may be split across several TLS records and arrive over several TCP reads, so
 * {@link #parse} says when it needs more bytes.
 */
record ClientHello(Optional<String> serverName, List<String> protocols, boolean offersSessionTicket) {

    /** A ClientHello is small (a few hundred bytes); a client sending more before it is complete is not TLS. */
    static final int MAX_BYTES = 64 * 1024;

    private static final int RECORD_HANDSHAKE = 22;
    private static final int HANDSHAKE_CLIENT_HELLO = 1;
    private static final int EXTENSION_SERVER_NAME = 0;
    private static final int EXTENSION_ALPN = 16;
    private static final int EXTENSION_SESSION_TICKET = 35;
    private static final int SERVER_NAME_HOST = 0;

    /** The bytes are not the start of a TLS ClientHello. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    /**
     * The ClientHello at the start of {@code bytes[0, length)}, or empty when more bytes are needed.
     *
     * @throws MalformedException when the bytes cannot be the start of a ClientHello
     */
    static Optional<ClientHello> parse(byte[] bytes, int length) throws MalformedException {
        byte[] handshake = new byte[length]; // the payloads are shorter than the records holding them
        int handshakeLength = 0;
        int position = 0;
        // gather the payloads of the leading handshake records until the whole message is there
        while (position + 5 <= length) {
            int type = bytes[position] & 0xff;
            if (type != RECORD_HANDSHAKE) {
                throw new MalformedException("TLS record of type " + type + " before the ClientHello");
            }
            if ((bytes[position + 1] & 0xff) != 3) {
                throw new MalformedException("not a TLS record (version byte " + (bytes[position + 1] & 0xff) + ")");
            }
            int recordLength = ((bytes[position + 3] & 0xff) << 8) | (bytes[position + 4] & 0xff);
            if (recordLength == 0) {
                throw new MalformedException("empty handshake record");
            }
            int available = Math.min(recordLength, length - position - 5);
            System.arraycopy(bytes, position + 5, handshake, handshakeLength, available);
            handshakeLength += available;
            if (available < recordLength) {
                break;
            }
            position += 5 + recordLength;
            if (handshakeLength >= 4 && handshakeLength >= 4 + messageLength(handshake)) {
                break;
            }
        }
        if (handshakeLength >= 1 && (handshake[0] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
            throw new MalformedException("first handshake message is of type " + (handshake[0] & 0xff)
                    + ", not ClientHello");
        }
        if (handshakeLength < 4) {
            return Optional.empty();
        }
        int messageLength = messageLength(handshake);
        if (4 + messageLength > MAX_BYTES) {
            throw new MalformedException("ClientHello of " + messageLength + " bytes is too large");
        }
        if (handshakeLength < 4 + messageLength) {
            return Optional.empty();
        }
        return Optional.of(body(new Reader(handshake, 4, 4 + messageLength)));
    }

    private static int messageLength(byte[] handshake) {
        return ((handshake[1] & 0xff) << 16) | ((handshake[2] & 0xff) << 8) | (handshake[3] & 0xff);
    }

    private static ClientHello body(Reader hello) throws MalformedException {
        hello.skip(2 + 32); // legacy_version, random
        hello.skip(hello.u8()); // legacy_session_id
        hello.skip(hello.u16()); // cipher_suites
        hello.skip(hello.u8()); // legacy_compression_methods
        Optional<String> serverName = Optional.empty();
        List<String> protocols = List.of();
        boolean offersSessionTicket = false;
        if (hello.remaining() == 0) {
            return new ClientHello(serverName, protocols, false); // no extensions at all (SSL 3-era clients)
        }
        Reader extensions = hello.slice(hello.u16());
        while (extensions.remaining() > 0) {
            int type = extensions.u16();
            Reader data = extensions.slice(extensions.u16());
            if (type == EXTENSION_SERVER_NAME) {
                serverName = serverName(data);
            } else if (type == EXTENSION_ALPN) {
                protocols = protocols(data);
            } else if (type == EXTENSION_SESSION_TICKET) {
                // RFC 5077 §3.1: empty asks for a new ticket, a ticket asks to resume its session
                offersSessionTicket = data.remaining() > 0;
            }
        }
        return new ClientHello(serverName, protocols, offersSessionTicket);
    }

    /** RFC 6066 §3: a list of (type, name); only host names (type 0) exist. */
    private static Optional<String> serverName(Reader data) throws MalformedException {
        Reader names = data.slice(data.u16());
        while (names.remaining() > 0) {
            int type = names.u8();
            String name = names.text(names.u16());
            if (type == SERVER_NAME_HOST) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /** RFC 7301 §3.1: a list of non-empty protocol names, each with a one-byte length. */
    private static List<String> protocols(Reader data) throws MalformedException {
        Reader names = data.slice(data.u16());
        List<String> protocols = new ArrayList<>();
        while (names.remaining() > 0) {
            int nameLength = names.u8();
            if (nameLength == 0) {
                throw new MalformedException("empty ALPN protocol name");
            }
            protocols.add(names.text(nameLength));
        }
        return List.copyOf(protocols);
    }

    /** Bounds-checked big-endian reads over a part of a byte array. */
    private static final class Reader {
        private final byte[] bytes;
        private int position;
        private final int end;

        Reader(byte[] bytes, int position, int end) {
            this.bytes = bytes;
            this.position = position;
            this.end = end;
        }

        int remaining() {
            return end - position;
        }

        int u8() throws MalformedException {
            need(1);
            return bytes[position++] & 0xff;
        }

        int u16() throws MalformedException {
            need(2);
            int value = ((bytes[position] & 0xff) << 8) | (bytes[position + 1] & 0xff);
            position += 2;
            return value;
        }

        void skip(int count) throws MalformedException {
            need(count);
            position += count;
        }

        Reader slice(int count) throws MalformedException {
            need(count);
            Reader slice = new Reader(bytes, position, position + count);
            position += count;
            return slice;
        }

        String text(int count) throws MalformedException {
            need(count);
            String text = new String(bytes, position, count, StandardCharsets.US_ASCII);
            position += count;
            return text;
        }

        private void need(int count) throws MalformedException {
            if (count > remaining()) {
                throw new MalformedException("ClientHello truncated: a field of " + count + " bytes overruns it");
            }
        }
    }
}
