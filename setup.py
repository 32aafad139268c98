"""Packaging for hilayers. Optional parts are extras: gpu, dev (and later distributed, viz)."""
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
    install_requires=["numpy>=1.22", "h5py>=3.6", "tqdm>=4.60"],
    extras_require={
        "gpu": ["cupy>=12"],
        "dev": ["pytest>=7", "pytest-timeout>=2.1"],
    },
    license="MIT",
)
