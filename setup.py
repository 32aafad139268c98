"""Packaging for hilayers. Optional parts are extras: gpu, cli (Pillow, for ``hilayers
predict``), viz (TensorBoard, plots), docs (the site), distributed (mpi4py, and MPICH
from its PyPI wheel on Linux), dev (the tests, which need the others too)."""
from setuptools import find_packages, setup

setup(
    name="hilayers",
    version="0.1.0",
    description="A Keras-style deep-learning library on its own dataflow engine "
                "(NumPy or CuPy kernels).",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["hilayers", "hilayers.*"]),
    # The pretrained LeNet-5 weights (hilayers.applications.LeNet5(weights="mnist")).
    package_data={"hilayers.applications": ["weights/*.h5"]},
    entry_points={"console_scripts": ["hilayers=hilayers.cli:main"]},
    install_requires=["numpy>=1.22", "h5py>=3.6", "tqdm>=4.60"],
    extras_require={
        "gpu": ["cupy>=12"],
        "cli": ["Pillow>=9.1"],
        # TensorBoard event files, plot_model (also needs Graphviz's dot program) and
        # plot_history.
        "viz": ["tensorboard>=2.10", "matplotlib>=3.5", "pydot>=1.4"],
        # The documentation site (mkdocs.yml).
        "docs": ["mkdocs>=1.5", "mkdocs-material>=9", "mkdocstrings[python]>=0.24"],
        # Data-parallel training (hilayers.distribute). The MPICH wheel brings the MPI
        # library and mpiexec; on a cluster, build mpi4py against the site's MPI instead.
        "distributed": ["mpi4py>=4.0", "mpich>=4.1; sys_platform == 'linux'"],
        # The tests exercise the viz extra, build the site, and drive Chromium (selenium)
        # against a TensorBoard server.
        "dev": ["pytest>=7", "pytest-timeout>=2.1", "Pillow>=9.1",
                "tensorboard>=2.10", "matplotlib>=3.5", "pydot>=1.4",
                "mkdocs>=1.5", "mkdocs-material>=9", "mkdocstrings[python]>=0.24",
                "selenium>=4.20", "mpi4py>=4.0", "mpich>=4.1; sys_platform == 'linux'"],
    },
    license="MIT",
)
