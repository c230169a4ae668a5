"""Where a user's progress is kept: the embedded SQLite store or DynamoDB."""
