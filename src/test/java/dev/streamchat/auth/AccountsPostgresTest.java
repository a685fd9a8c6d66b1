package dev.streamchat.auth;

/** The accounts contract on PostgreSQL (skipped, saying why, where it is not running). */
class AccountsPostgresTest extends AccountsContract {

  @Override
  String kind() {
    return "postgresql";
  }
}
