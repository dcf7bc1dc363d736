package dev.tee.demo;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x request as Fluentd's in_http reads it (http_parser.rb underneath): the request line,
 * the headers and then, on demand, a Content-Length or chunked body.
 */
final class InHttpRequest {

    private static final int MAX_LINE = 16 * 1024;
    private static final int MAX_HEAD = 64 * 1024;

    /** The request cannot be parsed; Fluentd's http_parser raises and in_http closes the connection silently. */
    static final class MalformedException extends IOException {
        MalformedException(String message) {
            super(message);
        }
    }

    /** More than the limit of body bytes arrived; in_http answers 413 and closes. */
    static final class TooLargeException extends IOException {
        TooLargeException() {
            super("body too large");
        }
    }

    private final String method;
    private final String target;
    private final String version;
    private final Map<String, String> headers;

    private InHttpRequest(String method, String target, String version, Map<String, String> headers) {
        this.method = method;
        this.target = target;
        this.version = version;
        this.headers = headers;
    }

    /** Reads the request line and headers; null when the peer closed the connection between requests. */
    static InHttpRequest readHead(InputStream in) throws IOException {
        int[] budget = {MAX_HEAD};
        String requestLine = readLine(in, budget, true);
        // http_parser tolerates empty lines before a request line (a stray CRLF after a body)
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = readLine(in, budget, true);
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()
                || !(parts[2].equals("HTTP/1.1") || parts[2].equals("HTTP/1.0"))) {
            throw new MalformedException("bad request line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in, budget, false); !line.isEmpty(); line = readLine(in, budget, false)) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedException("bad header line");
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.merge(name, value, (first, next) -> first + ", " + next);
        }
        return new InHttpRequest(parts[0], parts[1], parts[2], headers);
    }

    String method() {
        return method;
    }

    /** The header's value (repeated headers joined with ", "), or null; names are case-insensitive. */
    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * in_http keeps HTTP/1.1 connections open and closes HTTP/1.0 ones, unless a Connection header
     * says otherwise ("close" or "keep-alive", matched anywhere in the value, case-insensitively).
     */
    boolean keepAlive() {
        String connection = header("connection");
        if (connection != null) {
            String value = connection.toLowerCase(Locale.ROOT);
            if (value.contains("close")) {
                return false;
            }
            if (value.contains("keep-alive")) {
                return true;
            }
        }
        return version.equals("HTTP/1.1");
    }

    /** The path of the request target (an absolute-form target is reduced to its path), without the query. */
    String path() {
        String path = target;
        int scheme = path.indexOf("://");
        if (scheme >= 0) {
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    /** The raw query string, or null. */
    String query() {
        int query = target.indexOf('?');
        return query < 0 ? null : target.substring(query + 1);
    }

    /** The declared Content-Length, or -1 when absent or chunked. */
    long contentLength() throws MalformedException {
        String value = header("content-length");
        if (value == null || chunked()) {
            return -1;
        }
        try {
            long length = Long.parseLong(value);
            if (length < 0) {
                throw new MalformedException("negative Content-Length");
            }
            return length;
        } catch (NumberFormatException e) {
            throw new MalformedException("bad Content-Length");
        }
    }

    boolean chunked() {
        String value = header("transfer-encoding");
        return value != null && value.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /**
     * Reads the body (Content-Length or chunked), refusing to hold more than {@code limit} bytes. As
     * in_http counts the body bytes it received, the refusal comes once the byte past the limit
     * arrived, whatever a Content-Length or chunk size announced.
     */
    byte[] readBody(InputStream in, long limit) throws IOException {
        if (chunked()) {
            return readChunked(in, limit);
        }
        long length = contentLength();
        if (length <= 0) {
            return new byte[0];
        }
        if (length > limit) {
            in.skipNBytes(limit + 1);
            throw new TooLargeException();
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length < length) {
            throw new EOFException("connection closed inside the body");
        }
        return body;
    }

    private static byte[] readChunked(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int[] budget = {MAX_HEAD};
        while (true) {
            String sizeLine = readLine(in, budget, false);
            int extension = sizeLine.indexOf(';');
            String hex = (extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new MalformedException("bad chunk size");
            }
            if (size < 0) {
                throw new MalformedException("bad chunk size");
            }
            if (size == 0) {
                // trailers end with an empty line
                while (!readLine(in, budget, false).isEmpty()) {
                    continue;
                }
                return body.toByteArray();
            }
            if (body.size() + size > limit) {
                in.skipNBytes(limit - body.size() + 1);
                throw new TooLargeException();
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw new EOFException("connection closed inside a chunk");
            }
            body.writeBytes(chunk);
            if (!readLine(in, budget, false).isEmpty()) {
                throw new MalformedException("chunk not followed by CRLF");
            }
            budget[0] = MAX_HEAD;
        }
    }

    /**
     * One line without its CRLF (a bare LF is accepted too). Returns null only when {@code eofAllowed}
     * and the stream ends before the first byte.
     */
    private static String readLine(InputStream in, int[] budget, boolean eofAllowed) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (eofAllowed && line.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside the request head");
            }
            if (--budget[0] < 0 || line.size() > MAX_LINE) {
                throw new MalformedException("request head too long");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }
}
