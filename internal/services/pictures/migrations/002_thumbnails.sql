-- Sizes and thumbnails are made by Pillow when a picture is created. Pictures stored before this
-- migration keep NULLs here until their thumbnail is first asked for (SQL cannot decode images).
ALTER TABLE pictures
    ADD COLUMN width                  integer,
    ADD COLUMN height                 integer,
    ADD COLUMN thumbnail              bytea,
    ADD COLUMN thumbnail_content_type text,
    ADD COLUMN thumbnail_width        integer,
    ADD COLUMN thumbnail_height       integer;
