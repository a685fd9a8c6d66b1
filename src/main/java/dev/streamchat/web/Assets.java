package dev.streamchat.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files under {@code webroot/}, each with a URL that names its content ({@code ?v=} a hash of
 * its bytes, computed once at start): a browser may keep such a URL for a year, and a new release
 * changes the URL of every file that changed.
 */
public final class Assets {

  /** Every file under webroot that a page links to. */
  static final List<String> FILES = List.of("app.css", "app.js", "admin.css", "admin.js", "favicon.svg");

  private final Map<String, String> urls;

  private Assets(Map<String, String> urls) {
    this.urls = urls;
  }

  /** Reads and hashes the files: blocking, so done once at start off the event loop. */
  static Assets load() {
    Map<String, String> urls = new TreeMap<>();
    for (String name : FILES) {
      try (InputStream in = Assets.class.getClassLoader().getResourceAsStream("webroot/" + name)) {
        if (in == null) throw new IllegalStateException("webroot/" + name + " is missing from the build");
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
        urls.put(name, "/static/" + name + "?v=" + HexFormat.of().formatHex(hash, 0, 6));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return new Assets(urls);
  }

  /** The fingerprinted URL of a webroot file; a file not listed in {@link #FILES} is a mistake. */
  public String url(String name) {
    String url = urls.get(name);
    if (url == null) throw new IllegalArgumentException("not a known webroot file: " + name);
    return url;
  }
}
