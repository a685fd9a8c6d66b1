package dev.streamchat.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (BouncyCastle), in the PHC string format
 * {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}, so a stored hash carries its own
 * parameters and stronger ones can be adopted later without breaking old hashes. The parameters
 * are OWASP's minimum for Argon2id (19 MiB, 2 passes). Blocking and CPU-heavy: call it on a
 * worker pool.
 */
public final class Passwords {

  public static final int MIN_CHARS = 10;
  /** Bounds the work an attacker can ask for with one request. */
  public static final int MAX_CHARS = 256;

  private static final int MEMORY_KIB = 19 * 1024;
  private static final int ITERATIONS = 2;
  private static final int PARALLELISM = 1;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final Pattern PHC = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** A hash to verify against when the username is unknown. */
  private static final String DUMMY = hash("streamchat-timing-equaliser");

  private Passwords() {
  }

  /** Why a new password is refused, or null when it is acceptable. */
  public static String problem(String password) {
    if (password == null || password.length() < MIN_CHARS) {
      return "The password must have at least " + MIN_CHARS + " characters.";
    }
    if (password.length() > MAX_CHARS) return "The password must have at most " + MAX_CHARS + " characters.";
    return null;
  }

  public static String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = argon2(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
    return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
        + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
  }

  /** True when the password matches the stored hash; compared in constant time. */
  public static boolean verify(String password, String stored) {
    if (password == null || password.length() > MAX_CHARS || stored == null) return false;
    Matcher m = PHC.matcher(stored);
    if (!m.matches()) return false;
    byte[] salt = Base64.getDecoder().decode(m.group(4));
    byte[] expected = Base64.getDecoder().decode(m.group(5));
    byte[] actual = argon2(password, salt, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)), expected.length);
    return MessageDigest.isEqual(actual, expected);
  }

  /**
   * Does the work of one verification against nothing, so that a sign-in with an unknown
   * username takes as long as one with a wrong password (no user enumeration by timing).
   */
  public static void burn(String password) {
    verify(password == null ? "" : password, DUMMY);
  }

  private static byte[] argon2(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(salt)
        .withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(parallelism).build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] out = new byte[length];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
