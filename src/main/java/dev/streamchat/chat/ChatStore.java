package dev.streamchat.chat;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** Conversations and their messages. Every call is non-blocking; owners see only their own. */
public interface ChatStore {

  Future<Conversation> createConversation(String owner, String title, String model);

  /** The owner's conversations, most recently updated first. */
  Future<List<Conversation>> conversations(String owner, int limit);

  Future<Optional<Conversation>> conversation(String owner, String id);

  /** False when the owner has no such conversation. */
  Future<Boolean> renameConversation(String owner, String id, String title);

  /** False when the owner has no such conversation. */
  Future<Boolean> deleteConversation(String owner, String id);

  Future<List<Message>> messages(String conversationId);

  /** At most {@code limit} of the latest messages numbered below {@code beforeSeq}, in order. */
  Future<List<Message>> messagesBefore(String conversationId, int beforeSeq, int limit);

  /** Gives every conversation of one owner to another (an anonymous session's, at sign-in); answers how many. */
  Future<Integer> transferConversations(String fromOwner, String toOwner);

  /** The titles of the conversations with these ids, whoever owns them (for the admin page). */
  Future<java.util.Map<String, String>> titles(java.util.Collection<String> ids);

  /** How many conversations the owner has. */
  Future<Integer> conversationCount(String owner);

  /** Bytes (UTF-8) of all message text the owner has stored. */
  Future<Long> storedBytes(String owner);

  /** Appends a user message and the assistant message that will hold the answer, together. */
  Future<Void> addExchange(String conversationId, String userText, String generationId, String model);

  /**
   * Gives an ended answer to a new generation, which starts running with {@code content} as its
   * text so far (empty to regenerate, the partial answer to continue). With {@code keepOld} the
   * answer being replaced is kept as the message's latest earlier version. False when no message
   * has that generation.
   */
  Future<Boolean> restartAnswer(String oldGenerationId, String newGenerationId, String content, String model,
      boolean keepOld);

  /** The assistant message its generation currently writes (or wrote), if any. */
  Future<Optional<Message>> answerOf(String generationId);

  /**
   * The earlier versions of an answer, oldest first, each as the message was then ({@code seq}
   * is the version's number, from 1).
   */
  Future<List<Message>> earlierVersions(String messageId);

  /** How many earlier versions each answer of the conversation has (answers with none are absent). */
  Future<java.util.Map<String, Integer>> versionCounts(String conversationId);

  /**
   * The owner's conversations, newest first, at most {@code limit}, whose title or any message
   * contains {@code text} (case-insensitive, taken literally).
   */
  Future<List<Conversation>> search(String owner, String text, int limit);

  /**
   * Replaces the text of the user message numbered {@code userSeq}, deletes every message after
   * it and adds the assistant message that will hold the new answer, together.
   */
  Future<Void> editAndResend(String conversationId, int userSeq, String userText, String generationId, String model);

  /** Keeps the final answer of a generation with its message. */
  /** Notes the shape the answer of {@code generationId} was asked for (after the call that stored it). */
  Future<Void> setAnswerFormat(String generationId, dev.streamchat.model.ResponseFormat format);

  Future<Void> saveAnswer(String generationId, String content, String reasoning, String state, String error);

  /** Assistant messages still marked running (their process ended before they did). */
  Future<List<Message>> runningAnswers();

  /** Succeeds when the database answers a trivial query (for the readiness check). */
  Future<Void> ping();

  Future<Void> close();
}
