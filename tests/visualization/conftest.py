"""The ``browser`` marker: tests that drive headless Chromium (deselect with -m "not browser")."""


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium against a local "
                                       "server (needs Debian's chromium and chromium-driver)")
