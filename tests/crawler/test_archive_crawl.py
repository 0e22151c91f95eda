"""The evidence archive in real crawls (crawl subprocess, saved pages on 127.0.0.1), and its WARC export."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from monitor.app import App, open_app
from monitor.cli.main import main as foiwatch
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.archive import list_copies, open_copy
from storage.clock import utcnow
from storage.models import ArchivedCopy, Attachment, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"
CLEVELAND_LOG = "/foi-ai/cleveland-police/disclosure/"
ESTATE = "foi-ai/metropolitan-police/disclosure-2024/december-2024/cctv-on-the-police-estate/index.html"


def _app(
    tmp_path: Path,
    database_url: str,
    site: LocalSite,
    archive: dict[str, object] | None = None,
    crawler: dict[str, object] | None = None,
) -> App:
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": site.url(MET_LOG),
                "options": {"fetch_attachments": True},
            },
            {
                "id": "cleveland",
                "platform": "police_soh",
                "authority": "Cleveland Police",
                "url": site.url(CLEVELAND_LOG),
            },
        ],
        crawler=crawler,
    )
    if archive is not None:
        settings = yaml.safe_load((config / "settings.yaml").read_text(encoding="utf-8"))
        settings["archive"] = archive
        (config / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return open_app(config, database_url, tmp_path / "data")


def _crawl(app: App, source_id: str) -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, "full")


def _served(site: LocalSite, url: str) -> bytes:
    """The bytes the site serves at ``url``."""
    file = site.file_for(url.removeprefix(site.base_url))
    assert file is not None, url
    return file.read_bytes()


def _count(app: App) -> int:
    with app.database.session() as session:
        return session.scalar(select(func.count()).select_from(ArchivedCopy)) or 0


def test_a_crawl_archives_each_new_version_s_page_and_attachments_exactly(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, soh_site)
    started = utcnow()
    summary = _crawl(app, "met")
    assert summary.status == "succeeded" and summary.items == 12
    with app.database.session() as session:
        copies = list_copies(session)
        pages = [c for c in copies if c.attachment_id is None]
        letters = [c for c in copies if c.attachment_id is not None]
        # one page per version: the listing pages, which are no response's, are not kept
        assert len(pages) == session.scalar(select(func.count()).select_from(ResponseVersion)) == 12
        for copy in pages:
            opened = open_copy(session, app.data_dir, copy.id)
            assert opened is not None and opened.body == _served(soh_site, copy.url)
            assert session.get_one(ResponseVersion, copy.version_id).url == copy.url
            assert opened.status == 200 and opened.content_type == "text/html; charset=utf-8"
            assert dict(opened.headers)["Etag"].startswith('"')
            assert started <= opened.fetched_at <= utcnow()
        assert len(letters) == 4
        for copy in letters:
            opened = open_copy(session, app.data_dir, copy.id)
            attachment = session.get_one(Attachment, copy.attachment_id)
            assert opened is not None and opened.body == _served(soh_site, copy.url)
            assert opened.body.startswith(b"%PDF") and opened.content_type == "application/pdf"
            assert (attachment.url, attachment.version_id) == (copy.url, copy.version_id)
    blobs = list((app.data_dir / "archive" / "sha256").glob("??/??/*"))
    assert sorted(p.name for p in blobs) == sorted({c.sha256 for c in copies})


def test_an_identical_crawl_archives_nothing_and_a_changed_page_one_copy(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, soh_site)
    _crawl(app, "cleveland")
    first = _count(app)
    assert first == 3
    assert _crawl(app, "cleveland").status == "succeeded"
    assert _count(app) == first

    overlay = tmp_path / "overlay"
    page = (
        overlay
        / "foi-ai/cleveland-police/disclosure/2026/january/foi-7126-body-worn-video-cameras/index.html"
    )
    page.parent.mkdir(parents=True)
    original = soh_site.file_for("/" + str(page.relative_to(overlay)).removesuffix("index.html"))
    assert original is not None
    page.write_bytes(
        original.read_bytes().replace(b"</main>", b"<p>Update: the figures were corrected.</p></main>")
    )
    soh_site.overlays = [overlay]
    summary = _crawl(app, "cleveland")
    assert (summary.new, summary.changed) == (0, 1)
    with app.database.session() as session:
        newest = session.scalars(select(ArchivedCopy).order_by(ArchivedCopy.id.desc())).first()
        assert newest is not None and _count(app) == first + 1
        version = session.get_one(ResponseVersion, newest.version_id)
        assert version.id == max(v.id for v in version.response.versions)
        opened = open_copy(session, app.data_dir, newest.id)
    assert opened is not None and opened.body == page.read_bytes()


def test_the_warc_export_reads_back_with_the_same_addresses_dates_and_bytes(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, soh_site)
    _crawl(app, "cleveland")
    warc = tmp_path / "evidence.warc.gz"
    result = CliRunner().invoke(
        foiwatch,
        ["--config", str(app.config.directory), "--db", database_url, "--data-dir", str(app.data_dir)]
        + ["archive", "export", "--format", "warc", "--output", str(warc)],
    )
    assert result.exit_code == 0, result.output
    assert f"3 response records written to {warc}" in result.output
    with app.database.session() as session:
        expected = {c.url: (c.fetched_at, c.sha256, c.status) for c in list_copies(session)}

    with warc.open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read(), r.digest_checker.passed)
            for r in ArchiveIterator(stream, check_digests=True)
        ]
    assert [r[0] for r in records] == ["warcinfo", "response", "response", "response"]
    assert records[0][1].protocol == "WARC/1.1"
    seen = {}
    for _, headers, http, body, digests_pass in records[1:]:
        assert digests_pass  # warcio checked the block and payload digests as it read
        url = headers.get_header("WARC-Target-URI")
        fetched_at, digest, status = expected[url]
        assert datetime.fromisoformat(headers.get_header("WARC-Date")) == fetched_at
        assert hashlib.sha256(body).hexdigest() == digest and body == _served(soh_site, url)
        assert http.get_statuscode() == str(status) and http.get_header("Content-Length") == str(len(body))
        assert headers.get_header("WARC-Payload-Digest").startswith("sha256:")
        seen[url] = body
    assert set(seen) == set(expected)


def test_nothing_over_the_download_limit_is_archived(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    # Letters may be downloaded past crawler.max_download_bytes (they have their own cap); the
    # archive keeps nothing larger than it all the same.
    letter = "/SysSiteAssets/foi-media/metropolitan-police/disclosure_2023/november_2023/"
    big = tmp_path / "overlay" / letter.strip("/") / "police-officer-overtime-spend-2022-23.pdf"
    big.parent.mkdir(parents=True)
    original = soh_site.file_for(letter + big.name)
    assert original is not None
    big.write_bytes(original.read_bytes() + b"\n%" + b"x" * 30_000 + b"\n")
    soh_site.overlays = [tmp_path / "overlay"]
    app = _app(tmp_path, database_url, soh_site, crawler={"max_download_bytes": 20_000})
    summary = _crawl(app, "met")
    assert summary.status == "succeeded" and summary.items == 12 and summary.run_id is not None
    with app.database.session() as session:
        stored = session.scalars(select(Attachment).where(Attachment.url.endswith(big.name))).one()
        archived = {c.url.rsplit("/", 1)[-1] for c in list_copies(session) if c.attachment_id}
        problems = problems_of_run(session, summary.run_id, "archive")
    assert stored.size == big.stat().st_size  # downloaded and stored as an attachment
    assert big.name not in archived and len(archived) == 3
    assert [p.cause for p in problems] == [
        f"not archived: {big.stat().st_size:,} bytes is over the 20,000-byte download limit"
    ]


def test_a_failure_to_archive_is_a_problem_of_the_run_and_loses_no_response(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, soh_site)
    (app.data_dir / "archive").write_text("a file where the archive folder should be", encoding="utf-8")
    summary = _crawl(app, "cleveland")
    assert summary.status == "succeeded" and summary.new == 3
    assert summary.run_id is not None
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 3
        problems = problems_of_run(session, summary.run_id, "archive")
    assert _count(app) == 0
    assert len(problems) == 3
    assert all(p.cause.startswith("not archived: the archive folder cannot be written") for p in problems)


def test_an_archive_switched_off_keeps_nothing(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, soh_site, {"enabled": False})
    assert _crawl(app, "cleveland").new == 3
    assert _count(app) == 0 and not (app.data_dir / "archive").exists()


def test_list_and_prune_commands(tmp_path: Path, database_url: str, soh_site: LocalSite) -> None:
    app = _app(tmp_path, database_url, soh_site, {"retention_days": 30})
    _crawl(app, "cleveland")
    base = ["--config", str(app.config.directory), "--db", database_url, "--data-dir", str(app.data_dir)]
    listed = CliRunner().invoke(foiwatch, [*base, "archive", "list", "--response", "1"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("id\tfetched (UTC)\tstatus") and len(lines) == 2
    assert "\t200\t" in lines[1] and soh_site.base_url in lines[1]
    later = tmp_path / "later.warc.gz"
    exported = CliRunner().invoke(
        foiwatch, [*base, "archive", "export", "--since", "2100-01-01", "--output", str(later)]
    )
    assert exported.exit_code == 0 and "0 response records written" in exported.output
    pruned = CliRunner().invoke(foiwatch, [*base, "archive", "prune"])
    assert pruned.exit_code == 0, pruned.output
    assert "retention 30 days: forgot 0 copies, removed 0 files" in pruned.output
    assert _count(app) == 3
