package dev.tee.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** The build's version, from the resource Maven filters at build time. */
public final class Version implements IVersionProvider {

    private static final String RESOURCE = "/dev/tee/version.properties";

    /** The project version, e.g. "0.1.0". */
    public static String current() {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the build");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line "version" and "--version" print. */
    public static String line() {
        return Main.PROGRAM + " " + current();
    }

    @Override
    public String[] getVersion() {
        return new String[] {line()};
    }
}
