"""Event producers: synthetic demo emissions and replay of event files onto Kafka."""
