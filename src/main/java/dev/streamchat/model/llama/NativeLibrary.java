package dev.streamchat.model.llama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where de.kherud:llama unpacks its native library. By default it writes a fixed
 * {@code <tmp>/libjllama.so} and deletes it when the JVM exits, so two processes on one machine
 * overwrite and delete each other's copy while the other is loading it. Each process gets its
 * own directory instead, unless the operator chose one ({@code -Dde.kherud.llama.tmpdir} or
 * {@code -Dde.kherud.llama.lib.path}).
 */
final class NativeLibrary {

  private static final String TMPDIR = "de.kherud.llama.tmpdir";
  private static final String LIB_PATH = "de.kherud.llama.lib.path";

  private NativeLibrary() {
  }

  static synchronized void prepare() {
    if (System.getProperty(TMPDIR) != null || System.getProperty(LIB_PATH) != null) return;
    try {
      Path dir = Files.createTempDirectory("streamchat-llama-");
      // Registered before the loader registers the library, so it is deleted after it.
      dir.toFile().deleteOnExit();
      System.setProperty(TMPDIR, dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a directory for llama.cpp's native library", e);
    }
  }
}
