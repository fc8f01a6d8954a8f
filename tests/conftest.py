# ruff: noqa: E501  (the tiny corpus has long paragraphs on purpose)
"""Shared fixtures. Other test modules may add plugins with a `pytest_plugins` line.

- `fake_telegram`: the fake Bot API server (tests/fake_telegram.py).
- `tiny_index`: a real index of a tiny temp corpus, built once with the deterministic HashEncoder.
- `database_url`: an empty database, SQLite or (CHIDAO_TEST_DATABASE=postgres) PostgreSQL: see
  tests/dbfixtures.py. Tests that use it are marked `shared_db`; .ci/run runs them again on PostgreSQL.
- `bot_settings` (`make_bot_settings(**overrides)` for others, `webhook_settings`), `bot_sessions`,
  `index_handle`: what build_application needs, all temporary.
- `bot`: the real Application from bot.app.build_application, long polling against the fake server.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

pytest.register_assert_rewrite("tests.dbfixtures")  # also a plugin of test modules: rewrite it before import

from tests.dbfixtures import check_shared_backend, shared_database  # noqa: E402
from tests.fake_telegram import FakeTelegram, running_application  # noqa: E402

ADMIN_ID = 1001
ALLOWED_GROUP = -2002
STRANGER_ID = 3003

LONG_SENTENCE = (
    "Sở Thông tin và Truyền thông chủ trì triển khai chuyển đổi số trong cơ quan nhà nước, "
    "bảo đảm kết nối liên thông dữ liệu giữa các sở, ngành và địa phương trong tỉnh. "
)

TINY_CORPUS: dict[str, str] = {
    "luong_co_so.txt": """Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024
Ngày: 08/07/2024
Cơ quan: Sở Nội vụ tỉnh Quảng Ngãi

Căn cứ Nghị định số 73/2024/NĐ-CP của Chính phủ, từ ngày 01/7/2024 mức lương cơ sở là 2.340.000 đồng/tháng, áp dụng cho cán bộ, công chức, viên chức.
Các cơ quan, đơn vị rà soát danh sách người hưởng lương, gửi Sở Nội vụ trước ngày 20/7/2024 để tổng hợp.
Kinh phí thực hiện được bảo đảm từ nguồn cải cách tiền lương của ngân sách tỉnh.
""",
    "ket_nap_dang_vien.txt": """Hướng dẫn kết nạp đảng viên trong học sinh, sinh viên năm 2024
Ngày: 15/03/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Lâm Đồng

Các chi bộ trường học lập danh sách quần chúng ưu tú, cử đảng viên chính thức giúp đỡ quần chúng phấn đấu vào Đảng.
Quý II/2024, toàn tỉnh phấn đấu kết nạp 150 đảng viên là học sinh, sinh viên.
Hồ sơ kết nạp đảng viên gửi Ban Tổ chức Tỉnh ủy thẩm định trước khi ban thường vụ cấp ủy xét duyệt.
""",
    "an_ninh_mang.txt": """Báo cáo công tác bảo đảm an ninh mạng quý I/2024
Ngày: 02/04/2024
Cơ quan: Công an tỉnh Bến Tre & Sở Thông tin và Truyền thông

Phát hiện đoạn mã độc <script>alert('x')</script> chèn vào cổng thông tin điện tử của một số xã; tỷ lệ <b 5% trang bị nhiễm & đã được khắc phục.
Các đơn vị rà soát tường lửa, thay đổi mật khẩu quản trị cổng thông tin định kỳ hằng tháng.
""",
    "sap_xep_xa.txt": "Danh sách xã sắp xếp đơn vị hành chính\nNgày: 05/05/2024\nCơ quan: Sở Nội vụ\n\n"
    + "Danh sách các xã thuộc diện sắp xếp đơn vị hành chính giai đoạn 2023 – 2025 gồm: "
    + ", ".join(f"xã số {i}" for i in range(1, 400))
    + ".\n",
    "chuyen_doi_so.txt": """Kế hoạch chuyển đổi số tỉnh Thái Bình năm 2024
Ngày: 10/01/2024
Cơ quan: UBND tỉnh Thái Bình

Mục tiêu chuyển đổi số năm 2024 là 100% hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng.
"""
    + LONG_SENTENCE * 40
    + """
Các huyện, thành phố xây dựng kế hoạch chuyển đổi số của địa phương, gửi Sở Thông tin và Truyền thông trước ngày 31/01/2024.
Kinh phí chuyển đổi số bố trí trong dự toán ngân sách hằng năm của các cơ quan, đơn vị.
Sở Thông tin và Truyền thông tổng hợp kết quả chuyển đổi số, báo cáo UBND tỉnh hằng quý.
""",
}


# Fixtures that give a test its own database whatever CHIDAO_TEST_DATABASE says (tests/dbfixtures.py):
# a test using one of them is not a `shared_db` test even if it also uses `database_url`.
_OWN_DB_FIXTURES = {"db_url", "pg_url"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared_db: uses the `database_url` fixture, whose backend CHIDAO_TEST_DATABASE chooses"
    )
    problem = check_shared_backend()
    if problem:
        raise pytest.UsageError(problem)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "database_url" in names and not names & _OWN_DB_FIXTURES:
            item.add_marker(pytest.mark.shared_db)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no tables): a SQLite file in tmp_path, or with
    CHIDAO_TEST_DATABASE=postgres a fresh PostgreSQL database, dropped after the test."""
    with shared_database(tmp_path) as url:
        yield url


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1; point settings.telegram_api_url at `fake_telegram.api_url`."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, text in TINY_CORPUS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tiny_index(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index.store import build_index
    from tests.fakes import HashEncoder

    index_dir = tmp_path_factory.mktemp("index")
    build_index(tiny_corpus, index_dir, HashEncoder())
    return index_dir


@pytest.fixture
def index_handle(tiny_index: Path) -> Any:
    from index.search import IndexHandle
    from tests.fakes import HashEncoder

    return IndexHandle(tiny_index, HashEncoder.name, encoder_factory=HashEncoder)


@pytest.fixture
def make_bot_settings(
    fake_telegram: FakeTelegram, database_url: str, tiny_corpus: Path, tiny_index: Path, tmp_path: Path
) -> Callable[..., Any]:
    """Settings for the bot: the fake server, the test's database, the tiny corpus and index, one admin
    and one allowed group; keyword arguments override any of them (or set other settings)."""
    from bot.settings import load_settings
    from tests.fakes import HashEncoder

    def make(**overrides: Any) -> Any:
        defaults: dict[str, Any] = {
            "telegram_token": fake_telegram.token,
            "telegram_api_url": fake_telegram.api_url,
            "admin_ids": [ADMIN_ID],
            "allowed_chats": [ALLOWED_GROUP],
            "database_url": database_url,
            "corpus_dir": tiny_corpus,
            "index_dir": tiny_index,
            "embedding_model": HashEncoder.name,
            "trash_dir": tmp_path / "trash",
        }
        return load_settings(**(defaults | overrides))

    return make


@pytest.fixture
def bot_settings(make_bot_settings: Callable[..., Any]) -> Any:
    return make_bot_settings()


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now (the kernel's choice, so parallel workers do not collide)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def webhook_settings(bot_settings: Any) -> Any:
    """bot_settings in webhook mode: public URL https://bot.example.org/hook, secret "right_secret", the
    server listening on a free port of 127.0.0.1."""
    from pydantic import SecretStr

    return bot_settings.model_copy(
        update={
            "webhook_url": "https://bot.example.org/hook",
            "webhook_secret": SecretStr("right_secret"),
            "webhook_listen": "127.0.0.1",
            "webhook_port": free_port(),
        }
    )


@pytest.fixture
def bot_sessions(bot_settings: Any) -> Iterator[sessionmaker[Session]]:
    from bot.db import make_engine, make_session_factory, upgrade

    engine = make_engine(bot_settings.database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
async def bot(bot_settings: Any, index_handle: Any, bot_sessions: sessionmaker[Session]) -> AsyncIterator[Any]:
    """The real Application, built by bot.app.build_application and long polling the fake server."""
    from bot.app import build_application

    application = build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(application) as running:
        yield running


@pytest.fixture(autouse=True, scope="session")
def answer_model_for_fake_encoder() -> Iterator[None]:
    """Searchers opened without an explicit answerability model judge by the earlier rule
    (`tests.fakes.rule_answer_model`): the HashEncoder has not the real model's dense scale. Tests of the
    real model pass the shipped, fitted model explicitly (`AnswerModel.load()`)."""
    import index.search
    from tests.fakes import rule_answer_model

    saved = list(index.search._DEFAULT_MODEL)
    index.search._DEFAULT_MODEL[:] = [rule_answer_model()]
    yield
    index.search._DEFAULT_MODEL[:] = saved
