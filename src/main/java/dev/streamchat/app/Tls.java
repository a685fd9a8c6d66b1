package dev.streamchat.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * HTTPS from a PEM certificate (chain) and its private key ({@code STREAMCHAT_TLS_CERT},
 * {@code STREAMCHAT_TLS_KEY}). Files that are missing, unreadable or not PEM are refused when the
 * configuration is read; a key that cannot be loaded or does not belong to the certificate is
 * refused by {@link #verify} before the server listens, so a mistake stops the start instead of
 * failing every browser's handshake later.
 */
public record Tls(Path cert, Path key) {

  static Optional<Tls> from(Config.Env e) {
    Optional<String> cert = e.string("STREAMCHAT_TLS_CERT");
    Optional<String> key = e.string("STREAMCHAT_TLS_KEY");
    if (cert.isEmpty() && key.isEmpty()) return Optional.empty();
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException("STREAMCHAT_TLS_CERT and STREAMCHAT_TLS_KEY must be set together (PEM files)");
    }
    Tls tls = new Tls(Path.of(cert.get()), Path.of(key.get()));
    pem("STREAMCHAT_TLS_CERT", tls.cert, "CERTIFICATE");
    pem("STREAMCHAT_TLS_KEY", tls.key, "PRIVATE KEY");
    return Optional.of(tls);
  }

  /** The file must be readable and hold a PEM block whose type ends with {@code type}. */
  private static void pem(String variable, Path file, String type) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException | SecurityException ex) {
      throw new IllegalArgumentException(variable + "=" + file + " cannot be read: " + reason(ex));
    }
    if (!text.matches("(?s).*-----BEGIN [A-Z0-9 ]*" + type + "-----.*")) {
      throw new IllegalArgumentException(variable + "=" + file + " is not a PEM file with a " + type
          + " (-----BEGIN ..." + type + "-----)");
    }
  }

  private static String reason(Exception ex) {
    return ex instanceof java.nio.file.NoSuchFileException ? "no such file"
        : ex instanceof java.nio.file.AccessDeniedException ? "permission denied" : ex.toString();
  }

  /** The server's key and certificate, as Vert.x loads them. */
  public PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString());
  }

  /**
   * Loads the pair as the server will and proves that the key belongs to the certificate (a
   * signature made with the key verifies with the certificate's public key). Blocking work runs
   * on a worker thread.
   */
  public Future<Void> verify(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      X509KeyManager manager;
      try {
        manager = keyManager(vertx);
      } catch (Exception ex) {
        throw new IllegalArgumentException(describe() + " cannot be loaded: " + rootMessage(ex));
      }
      String alias = firstAlias(manager);
      PrivateKey privateKey = manager.getPrivateKey(alias);
      X509Certificate[] chain = manager.getCertificateChain(alias);
      if (privateKey == null || chain == null || chain.length == 0) {
        throw new IllegalArgumentException(describe() + " hold no usable key and certificate");
      }
      if (!matches(privateKey, chain[0])) {
        throw new IllegalArgumentException("STREAMCHAT_TLS_KEY=" + key + " is not the private key of the certificate in STREAMCHAT_TLS_CERT=" + cert);
      }
      return null;
    });
  }

  private X509KeyManager keyManager(Vertx vertx) throws Exception {
    for (KeyManager km : keyCert().getKeyManagerFactory(vertx).getKeyManagers()) {
      if (km instanceof X509KeyManager x) return x;
    }
    throw new IllegalStateException("no X.509 key manager");
  }

  private static String firstAlias(X509KeyManager manager) {
    for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "DSA"}) {
      String[] aliases = manager.getServerAliases(type, null);
      if (aliases != null && aliases.length > 0) return aliases[0];
    }
    throw new IllegalArgumentException("no key of a known type (RSA, EC, EdDSA)");
  }

  private static boolean matches(PrivateKey privateKey, X509Certificate cert) {
    String algorithm = switch (privateKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      default -> privateKey.getAlgorithm(); // EdDSA, Ed25519
    };
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (java.security.GeneralSecurityException ex) {
      return false;
    }
  }

  private String describe() {
    return "STREAMCHAT_TLS_CERT=" + cert + " and STREAMCHAT_TLS_KEY=" + key;
  }

  private static String rootMessage(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
