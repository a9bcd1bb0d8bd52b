"""One reader per official publication: ``read(path)`` gives a tidy table with its provenance.

Each module reads one publication (A&E, RTT, FFT, workforce, the staff survey, CQC
ratings and locations, ODS trust lists, KH03 beds, sickness absence, KO41a complaints,
the adult inpatient survey, the Oversight Framework, labelled patient comments) into
canonical column names, with the file's provenance in ``df.attrs["provenance"]``; what
every reader shares (provenance, checks, clear errors) is in
:mod:`~workbench.data.sources.common`.
"""
