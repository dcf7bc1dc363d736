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
 * (camel-file cannot do this: with {@code fileExist=Fail} it checks for the target, then writes or
 * renames onto it, and a rename replaces a file that another writer created in between.)
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
        try {
            create(key, gzipBody);
            return PutOutcome.CREATED;
        } catch (FileAlreadyExistsException e) {
            return PutOutcome.ALREADY_EXISTS;
        }
    }

    /**
     * Writes {@code body} under {@code key}, create-if-absent: the output=file route's write step, the
     * counterpart of a PUT with {@code If-None-Match: *}.
     *
     * @throws FileAlreadyExistsException the key is taken; nothing was written
     * @throws OutputUnavailableException the directory cannot be written now
     */
    public void create(String key, byte[] body) throws FileAlreadyExistsException {
        Path target = resolve(key);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".writing");
        try {
            Files.createDirectories(target.getParent());
            Files.write(tmp, body, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new OutputUnavailableException("cannot write " + target + ": " + e.getMessage(), e);
        }
        try {
            // unlike a rename, which replaces the target, a link fails atomically when the key exists
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputUnavailableException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            deleteTemporary(tmp);
        }
    }

    private static void deleteTemporary(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            throw new OutputUnavailableException("cannot delete " + tmp + ": " + e.getMessage(), e);
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
