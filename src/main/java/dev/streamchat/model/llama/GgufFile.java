package dev.streamchat.model.llama;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Checks the operator's STREAMCHAT_GGUF before llama.cpp sees it, for a message that says what is wrong. */
final class GgufFile {

  private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

  private GgufFile() {
  }

  /** The absolute path of a readable GGUF file, or an IllegalArgumentException saying why not. */
  static Path check(Path file) {
    Path path = file.toAbsolutePath().normalize();
    if (!Files.exists(path)) throw problem(path, "there is no such file");
    if (!Files.isRegularFile(path)) throw problem(path, "it is not a regular file");
    if (!Files.isReadable(path)) throw problem(path, "it is not readable by this user");
    byte[] head = new byte[MAGIC.length];
    try (InputStream in = Files.newInputStream(path)) {
      if (in.readNBytes(head, 0, head.length) < head.length || !Arrays.equals(head, MAGIC)) {
        throw problem(path, "it is not a GGUF model (it does not begin with 'GGUF')");
      }
    } catch (IOException e) {
      throw problem(path, "it cannot be read: " + e.getMessage());
    }
    return path;
  }

  private static IllegalArgumentException problem(Path path, String why) {
    return new IllegalArgumentException("STREAMCHAT_GGUF=" + path + " cannot be used: " + why);
  }
}
