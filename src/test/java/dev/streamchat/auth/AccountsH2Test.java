package dev.streamchat.auth;

/** The accounts contract on the embedded H2 database. */
class AccountsH2Test extends AccountsContract {

  @Override
  String kind() {
    return "h2";
  }
}
