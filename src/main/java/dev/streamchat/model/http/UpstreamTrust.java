package dev.streamchat.model.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Which certificate authorities a model server's TLS certificate may chain to: the JVM's own,
 * plus those of a PEM file the operator names (a model server behind an in-house CA). Adding a
 * CA never switches verification off: the chain and the host name are still checked.
 */
public final class UpstreamTrust {

  private UpstreamTrust() {
  }

  /**
   * The certificates of a PEM file; fails with a message naming the file when it cannot be read
   * or holds no certificate.
   */
  public static List<X509Certificate> readPem(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
    }
    List<X509Certificate> certs = new ArrayList<>();
    try {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
        if (c instanceof X509Certificate x) certs.add(x);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " is not a PEM file of certificates: " + e.getMessage());
    }
    if (certs.isEmpty()) throw new IllegalArgumentException(file + " holds no PEM certificate");
    return certs;
  }

  /** A trust manager factory that trusts the JVM's default authorities and {@code extra}. */
  public static TrustManagerFactory withExtra(List<X509Certificate> extra) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate ca : jvmDefaultAuthorities()) store.setCertificateEntry("jvm-" + n++, ca);
      for (X509Certificate ca : extra) store.setCertificateEntry("extra-" + n++, ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the upstream trust store: " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> jvmDefaultAuthorities() throws GeneralSecurityException {
    TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jvm.init((KeyStore) null);
    List<X509Certificate> out = new ArrayList<>();
    for (TrustManager tm : jvm.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) out.addAll(List.of(x.getAcceptedIssuers()));
    }
    return out;
  }
}
