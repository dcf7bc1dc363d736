package dev.tee.sink.s3;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import dev.tee.sink.OutputUnavailableException;

/**
 * The S3 layout in a local directory (`output=file`): object keys become relative paths. A key is
 * claimed atomically with a hard link from a fully written temporary file, which fails if the key
 * exists, so a replayed object is recognised exactly as S3's {@code If-None-Match: *} recognises it.
 */
public final class DirectoryObjectStore implements ObjectStore {

    private final Path root;

    public DirectoryObjectStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    public Path root() {
        return root;
    }

    @Override
    public PutOutcome putIfAbsent(String key, byte[] gzipBody) {
        Path target = resolve(key);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".writing");
        try {
            Files.createDirectories(target.getParent());
            Files.write(tmp, gzipBody, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.createLink(target, tmp);
                return PutOutcome.CREATED;
            } catch (FileAlreadyExistsException e) {
                return PutOutcome.ALREADY_EXISTS;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new OutputUnavailableException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.of(Files.readAllBytes(resolve(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new OutputUnavailableException("cannot read " + resolve(key) + ": " + e.getMessage(), e);
        }
    }

    private Path resolve(String key) {
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root)) {
            throw new IllegalArgumentException("object key escapes the output directory: " + key);
        }
        return path;
    }
}
