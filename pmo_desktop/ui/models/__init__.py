"""Table models over plain row tuples fetched with SQL."""
