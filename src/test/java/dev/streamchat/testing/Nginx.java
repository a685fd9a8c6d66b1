package dev.streamchat.testing;

import java.io.File;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * nginx on a free port in front of the instances of a service, configured as the README tells an
 * operator: round robin, no stickiness, buffering off, long read timeouts, no WebSocket upgrade
 * headers passed on; a request whose instance refuses the connection goes to the next one. Skips
 * the test when nginx is not installed.
 */
public final class Nginx implements AutoCloseable {

  private static final String NGINX = "/usr/sbin/nginx";

  private final int port;
  private final Process process;
  private final Path dir;

  public Nginx(List<Integer> instancePorts) throws Exception {
    this(instancePorts, "proxy_buffering off;");
  }

  /** As {@link #Nginx(List)}, with {@code buffering} (directives of the location) in place of {@code proxy_buffering off;}. */
  public Nginx(List<Integer> instancePorts, String buffering) throws Exception {
    Assumptions.assumeTrue(new File(NGINX).canExecute(), "nginx is not installed (apt-get install nginx), so this test is skipped");
    dir = Files.createTempDirectory("streamchat-nginx");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String servers = instancePorts.stream().map(p -> "    server 127.0.0.1:" + p + " max_fails=0;")
        .collect(Collectors.joining("\n"));
    String conf = """
        daemon off;
        master_process off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log warn;
        events { worker_connections 512; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          upstream streamchat {
        %3$s
          }
          server {
            listen 127.0.0.1:%2$d;
            location / {
              proxy_pass http://streamchat;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_set_header Host $http_host;
              proxy_set_header X-Forwarded-For $remote_addr;
              proxy_read_timeout 1h;
              proxy_next_upstream error timeout http_502 http_503;
              proxy_connect_timeout 2s;
              %4$s
            }
          }
        }
        """.formatted(dir, port, servers, buffering);
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf);
    process = new ProcessBuilder(NGINX, "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
        "-c", file.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        break;
      } catch (java.io.IOException notYet) {
        if (!process.isAlive()) throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("out.log")));
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("nginx did not listen");
        Thread.sleep(50);
      }
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    TestServer.deleteTree(dir);
  }
}
