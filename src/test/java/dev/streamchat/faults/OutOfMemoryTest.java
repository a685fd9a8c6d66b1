package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.FatalErrors;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Running out of memory ends the process with a clear line and its own exit status, whether it
 * happens in an HTTP handler on an event loop or in some other thread: never a half-dead server
 * that no supervisor restarts. A child JVM with a 32 MB heap does it for real.
 */
class OutOfMemoryTest {

  @ParameterizedTest
  @ValueSource(strings = {"handler", "thread"})
  void outOfMemoryEndsTheProcess(String where) throws Exception {
    Path err = Files.createTempFile("oom", ".err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
        OutOfMemoryChild.class.getName(), where).redirectError(err.toFile()).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertTrue(first != null && first.startsWith("port "), "the child started: " + first);
      if (where.equals("handler")) {
        try (Socket s = new Socket("127.0.0.1", Integer.parseInt(first.substring(5)))) {
          s.getOutputStream().write("GET /grow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          s.setSoTimeout(20_000);
          s.getInputStream().read(); // the process ends, so the connection does
        }
      }
      assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the process ended");
      assertEquals(FatalErrors.OUT_OF_MEMORY_EXIT, child.exitValue());
      String stderr = Files.readString(err);
      assertTrue(stderr.contains("streamchat: out of memory"), "a clear line says why: " + stderr);
    } finally {
      child.destroyForcibly();
      Files.deleteIfExists(err);
    }
  }
}
