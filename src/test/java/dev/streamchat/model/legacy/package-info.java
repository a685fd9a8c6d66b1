/**
 * The stream parsers as they were before they read JSON with Jackson's streaming parser (the
 * commit before "parse: read upstream chunks with a streaming JSON parser"): every line a String,
 * every chunk a tree of maps. Kept in the tests only, to check that the new parsers say exactly
 * what these said on any input, and to measure the two against each other in one run.
 */
package dev.streamchat.model.legacy;
