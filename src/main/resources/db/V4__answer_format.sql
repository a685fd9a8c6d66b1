-- The shape an answer was asked for ({"type": "json_object"} or {"type": "json_schema", ...}, as
-- the API writes it; NULL for free text), so Retry and Edit ask for it again and a reload shows
-- the answer as JSON once its stream log is gone.
ALTER TABLE messages ADD COLUMN response_format VARCHAR
