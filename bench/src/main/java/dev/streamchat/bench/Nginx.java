package dev.streamchat.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx as an operator would put it between browsers and a model: a reverse proxy on
 * loopback with buffering off, in a child process with its own prefix and configuration.
 */
final class Nginx implements AutoCloseable {

  private final Process process;
  final int port;

  private Nginx(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static Nginx start(Path prefix, int port, int upstreamPort) throws Exception {
    Files.createDirectories(prefix.resolve("logs"));
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, """
        worker_processes auto;
        worker_rlimit_nofile 100000;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 40000; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          upstream model { server 127.0.0.1:%3$d; keepalive 256; }
          server {
            listen 127.0.0.1:%2$d backlog=8192;
            location / {
              proxy_pass http://model;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_buffering off;
              proxy_cache off;
              proxy_read_timeout 1h;
            }
          }
        }
        """.formatted(prefix, port, upstreamPort));
    Process p = new ProcessBuilder(List.of("nginx", "-p", prefix.toString(), "-c", conf.toString(),
        "-g", "daemon off;"))
        .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      if (!p.isAlive()) throw new IllegalStateException("nginx exited: " + AppProcess.tail(prefix.resolve("logs/error.log")));
      try (var s = new java.net.Socket("127.0.0.1", port)) {
        return new Nginx(p, port);
      } catch (java.io.IOException notYet) {
        Thread.sleep(50);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("nginx did not listen on " + port);
  }

  static String version() {
    try {
      Process p = new ProcessBuilder("nginx", "-v").redirectErrorStream(true).start();
      return new String(p.getInputStream().readAllBytes()).trim().replace("nginx version: ", "");
    } catch (Exception e) {
      return "absent";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
  }
}
