-- The demo tables of the document-processing scenario: job workers register a document, mark it processing,
-- extract its entities and mark it done. A document and its entities share a partition (entities route by
-- document_uuid), so they are applied in the order they were written.

CREATE TABLE source_documents (
    document_uuid   uuid PRIMARY KEY,
    filename        text NOT NULL,
    status          text NOT NULL DEFAULT 'registered'
                    CHECK (status IN ('registered', 'processing', 'done', 'failed')),
    content_type    text,
    size_bytes      bigint,
    page_count      integer,
    sha256          text,
    storage_uri     text,
    language        varchar(16),
    error_message   text,
    metadata        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    cistern_version bigint NOT NULL DEFAULT 0
);

CREATE TABLE entities (
    document_uuid   uuid NOT NULL REFERENCES source_documents (document_uuid),
    entity_uuid     uuid NOT NULL,
    entity_type     text NOT NULL,
    value           text,
    normalized      text,
    confidence      numeric(5, 4),
    page_number     integer,
    start_offset    integer,
    end_offset      integer,
    attributes      jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    cistern_version bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (document_uuid, entity_uuid)
);

CREATE INDEX entities_type_idx ON entities (entity_type);

INSERT INTO cistern_table (table_name, routing_columns) VALUES ('source_documents', 1), ('entities', 1);
