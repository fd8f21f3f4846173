"""GDPR privacy machinery in the data layer: one provider per data category (Moodle's pattern)."""
