package dev.streamchat.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;

/** The shared test model, ../shared/models/stories260K.gguf, checked against its published digest. */
public final class Stories260K {

  public static final String SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
  public static final String ID = "gguf:stories260K.gguf";

  private static Path checked;

  private Stories260K() {
  }

  /** Its path; skips the test when the file is absent, fails it when the file is not the one published. */
  public static synchronized Path path() {
    if (checked != null) return checked;
    Path p = Path.of("..", "shared", "models", "stories260K.gguf").toAbsolutePath().normalize();
    Assumptions.assumeTrue(Files.isRegularFile(p),
        "test model absent: " + p + " (see ../shared/models/README.md); GGUF tests skipped");
    assertEquals(SHA256, sha256(p), p + " is not the published stories260K.gguf");
    checked = p;
    return p;
  }

  private static String sha256(Path p) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
